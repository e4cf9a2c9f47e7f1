package dev.cca.vmm.abitest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Loading and checking scenario files (schema in docs/abi-scenarios.md). */
public final class Scenarios {
    private Scenarios() {
    }

    /** A scenario read from a file: its JSON and where it comes from ("file.json#2"). */
    public record Loaded(Path file, int index, JsonNode json, String error) {
        public String where() {
            return file + "#" + (index + 1);
        }

        public String name() {
            return json == null ? file.getFileName().toString() : json.path("scenario").asText(where());
        }
    }

    static final List<String> STEP_KINDS = List.of("open", "close", "mmap", "write", "check", "run_set", "ioctl",
            "smc", "alloc_granule", "rsi", "fixture");
    private static final Set<String> SCENARIO_KEYS = Set.of("scenario", "description", "profiles", "host", "steps");
    private static final Set<String> COMMON_STEP_KEYS = Set.of("comment", "only_profiles", "expect",
            "expect_by_profile", "as");
    private static final Set<String> EXPECT_KEYS = Set.of("ok", "result", "errno", "fields", "pointee", "run", "rmi",
            "rmi_exactly", "rmi_absent", "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7");

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.ALLOW_COMMENTS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** The scenario files named by {@code paths}: files as given, directories searched for *.json, sorted. */
    public static List<Path> files(List<Path> paths) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(f -> f.toString().endsWith(".json") && Files.isRegularFile(f)).sorted().forEach(out::add);
                }
            } else if (Files.isRegularFile(p)) {
                out.add(p);
            } else {
                throw new IOException(p + ": no such file or directory");
            }
        }
        return out;
    }

    /**
     * The scenarios of one file: a scenario object, an array of them, or {"scenarios": [...]}. A file that is not
     * valid JSON yields one entry with the parse error, so that it is reported as a failure, not skipped.
     */
    public static List<Loaded> load(Path file) {
        List<Loaded> out = new ArrayList<>();
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            // Some errors (a nesting or size limit of the parser) carry no location.
            com.fasterxml.jackson.core.JsonLocation loc = e.getLocation();
            String msg = String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("");
            out.add(new Loaded(file, 0, null, "not valid JSON: " + msg + (loc == null ? ""
                    : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr())));
            return out;
        } catch (IOException e) {
            out.add(new Loaded(file, 0, null, "cannot read: " + e.getMessage()));
            return out;
        }
        JsonNode list = root == null ? null : root.isArray() ? root : root.has("scenarios") ? root.get("scenarios") : null;
        if (list == null) {
            if (root != null && root.isObject()) {
                out.add(new Loaded(file, 0, root, null));
            } else {
                out.add(new Loaded(file, 0, null, "expected a scenario object, an array, or {\"scenarios\": [...]}"));
            }
            return out;
        }
        if (!list.isArray()) {
            out.add(new Loaded(file, 0, null, "\"scenarios\" must be an array"));
            return out;
        }
        for (int i = 0; i < list.size(); i++) {
            out.add(new Loaded(file, i, list.get(i), null));
        }
        return out;
    }

    /** Checks the shape of a scenario (keys, step kinds) before anything runs; throws ScenarioException. */
    static void checkScenario(JsonNode s, String where) {
        if (!s.isObject()) {
            throw new ScenarioException(where + ": a scenario is a JSON object");
        }
        keys(s, SCENARIO_KEYS, where);
        if (!s.path("scenario").isTextual()) {
            throw new ScenarioException(where + ": \"scenario\" (its name) is required");
        }
        JsonNode steps = s.get("steps");
        if (steps == null || !steps.isArray() || steps.isEmpty()) {
            throw new ScenarioException(where + ": \"steps\" must be a non-empty array");
        }
        if (s.has("profiles")) {
            checkProfiles(s.get("profiles"), where + ".profiles");
        }
        for (int i = 0; i < steps.size(); i++) {
            checkStep(steps.get(i), where + " step " + (i + 1));
        }
    }

    private static void checkProfiles(JsonNode p, String where) {
        if (!p.isArray()) {
            throw new ScenarioException(where + ": an array of profile names");
        }
        for (JsonNode n : p) {
            if (!ScenarioRunner.PROFILE_IDS.contains(n.asText())) {
                throw new ScenarioException(where + ": unknown profile '" + n.asText() + "' (known: "
                        + ScenarioRunner.PROFILE_IDS + ")");
            }
        }
    }

    private static void checkStep(JsonNode step, String where) {
        if (!step.isObject()) {
            throw new ScenarioException(where + ": a step is a JSON object");
        }
        String kind = null;
        for (String k : STEP_KINDS) {
            if (step.has(k)) {
                if (kind != null) {
                    throw new ScenarioException(where + ": a step has one kind, found both '" + kind + "' and '" + k
                            + "'");
                }
                kind = k;
            }
        }
        if (kind == null) {
            throw new ScenarioException(where + ": no step kind (one of " + STEP_KINDS + ")");
        }
        Set<String> allowed;
        switch (kind) {
            case "ioctl":
                allowed = Set.of("ioctl", "fd", "arg", "raw", "struct", "save", "signal_after_ms", "signal_pending");
                break;
            case "write":
                allowed = Set.of("write", "offset", "u32", "u64", "bytes", "program", "base", "ipa_bits");
                break;
            case "check":
                allowed = Set.of("check", "offset", "u32", "u64");
                break;
            case "smc":
                allowed = Set.of("smc", "args", "save");
                break;
            case "rsi":
                allowed = Set.of("rsi", "args");
                break;
            case "run_set":
                allowed = Set.of("run_set", "fields");
                break;
            case "fixture":
                allowed = Set.of("fixture", "prefix", "ipa_bits", "ram", "ram_size", "vcpus", "gic", "program", "base",
                        "shared_backing");
                break;
            default:
                allowed = Set.of(kind);
                break;
        }
        Iterator<String> it = step.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!allowed.contains(k) && !COMMON_STEP_KEYS.contains(k)) {
                throw new ScenarioException(where + ": '" + k + "' is not a key of a " + kind + " step (keys: "
                        + allowed + " and " + COMMON_STEP_KEYS + ")");
            }
        }
        if (kind.equals("ioctl") && !step.has("fd")) {
            throw new ScenarioException(where + ": an ioctl step needs \"fd\"");
        }
        if (kind.equals("ioctl") && (step.has("arg") ? 1 : 0) + (step.has("raw") ? 1 : 0)
                + (step.has("struct") ? 1 : 0) > 1) {
            throw new ScenarioException(where + ": give at most one of \"arg\", \"raw\" and \"struct\"");
        }
        if (step.has("expect")) {
            keys(step.get("expect"), EXPECT_KEYS, where + ".expect");
        }
        if (step.has("expect_by_profile")) {
            Iterator<String> p = step.get("expect_by_profile").fieldNames();
            while (p.hasNext()) {
                String id = p.next();
                if (!ScenarioRunner.PROFILE_IDS.contains(id)) {
                    throw new ScenarioException(where + ".expect_by_profile: unknown profile '" + id + "'");
                }
                keys(step.get("expect_by_profile").get(id), EXPECT_KEYS, where + ".expect_by_profile." + id);
            }
        }
        if (step.has("only_profiles")) {
            checkProfiles(step.get("only_profiles"), where + ".only_profiles");
        }
    }

    private static void keys(JsonNode n, Set<String> allowed, String where) {
        if (!n.isObject()) {
            throw new ScenarioException(where + ": expected an object");
        }
        Iterator<String> it = n.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new ScenarioException(where + ": unknown key '" + k + "' (known: " + allowed + ")");
            }
        }
    }
}
