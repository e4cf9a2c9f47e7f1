package dev.cca.vmm.abitest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Loading scenario files and parsing them into typed {@link Scenario}s (schema in docs/abi-scenarios.md). Every
 * problem is one {@link ScenarioException} whose message names the scenario, the step and the key.
 */
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

    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.ALLOW_COMMENTS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    /** The step kinds by their key, in the order of {@link Step}'s records. */
    static final Map<String, Class<? extends Step>> KINDS = kinds();
    static final List<String> STEP_KINDS = List.copyOf(KINDS.keySet());
    private static final Set<String> COMMON_STEP_KEYS = keysOf(Step.Common.class);

    @SuppressWarnings("unchecked")
    private static Map<String, Class<? extends Step>> kinds() {
        Map<String, Class<? extends Step>> m = new LinkedHashMap<>();
        for (Class<?> c : Step.class.getPermittedSubclasses()) {
            m.put(jsonName(c.getRecordComponents()[0].getName()), (Class<? extends Step>) c);
        }
        return m;
    }

    /** A record component's JSON key: {@code signalAfterMs} is {@code signal_after_ms}. */
    static String jsonName(String component) {
        return SNAKE.translate(component);
    }

    /** The JSON keys of a record, in the order of its components. */
    static Set<String> keysOf(Class<?> type) {
        Set<String> s = new LinkedHashSet<>();
        for (RecordComponent c : type.getRecordComponents()) {
            s.add(jsonName(c.getName()));
        }
        return s;
    }

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

    /** Parses a scenario, checking its shape (keys, step kinds, value types) before anything runs. */
    public static Scenario parse(JsonNode s, String where) {
        if (!s.isObject()) {
            throw new ScenarioException(where + ": a scenario is a JSON object");
        }
        keys(s, keysOf(Scenario.class), where);
        if (!s.path("scenario").isTextual()) {
            throw new ScenarioException(where + ": \"scenario\" (its name) is required");
        }
        JsonNode steps = s.get("steps");
        if (steps == null || !steps.isArray() || steps.isEmpty()) {
            throw new ScenarioException(where + ": \"steps\" must be a non-empty array");
        }
        List<String> profiles = null;
        if (s.has("profiles")) {
            profiles = profiles(s.get("profiles"), where + ".profiles");
        }
        Scenario.Host host = s.has("host") ? bind(s.get("host"), Scenario.Host.class, where + ".host")
                : new Scenario.Host(null, null);
        List<Scenario.Entry> entries = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            entries.add(parseStep(steps.get(i), "step " + (i + 1), where + " step " + (i + 1)));
        }
        return new Scenario(s.get("scenario").textValue(), s.path("description").asText(null), profiles, host,
                List.copyOf(entries));
    }

    private static List<String> profiles(JsonNode p, String where) {
        if (!p.isArray()) {
            throw new ScenarioException(where + ": an array of profile names");
        }
        List<String> l = new ArrayList<>();
        for (JsonNode n : p) {
            if (!ScenarioRunner.PROFILE_IDS.contains(n.asText())) {
                throw new ScenarioException(where + ": unknown profile '" + n.asText() + "' (known: "
                        + ScenarioRunner.PROFILE_IDS + ")");
            }
            l.add(n.asText());
        }
        return l;
    }

    /**
     * Parses one step: its kind (the one kind key it has), that kind's record and the common keys. {@code at} names
     * the step when it runs ("step 3"), {@code where} in errors found now ("file.json#2 step 3").
     */
    static Scenario.Entry parseStep(JsonNode step, String at, String where) {
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
        Class<? extends Step> type = KINDS.get(kind);
        Set<String> allowed = keysOf(type);
        ObjectNode own = MAPPER.createObjectNode();
        ObjectNode common = MAPPER.createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> it = step.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> f = it.next();
            if (allowed.contains(f.getKey())) {
                own.set(f.getKey(), f.getValue());
            } else if (COMMON_STEP_KEYS.contains(f.getKey())) {
                common.set(f.getKey(), f.getValue());
            } else {
                throw new ScenarioException(where + ": '" + f.getKey() + "' is not a key of a " + kind + " step (keys: "
                        + allowed + " and " + COMMON_STEP_KEYS + ")");
            }
        }
        if (step.has("expect_by_profile")) {
            JsonNode byProfile = step.get("expect_by_profile");
            if (!byProfile.isObject()) {
                throw new ScenarioException(where + ".expect_by_profile: expected an object");
            }
            Iterator<String> p = byProfile.fieldNames();
            while (p.hasNext()) {
                String id = p.next();
                if (!ScenarioRunner.PROFILE_IDS.contains(id)) {
                    throw new ScenarioException(where + ".expect_by_profile: unknown profile '" + id + "'");
                }
            }
        }
        if (step.has("only_profiles")) {
            profiles(step.get("only_profiles"), where + ".only_profiles");
        }
        Step s = bind(own, type, where);
        Step.Common c = bind(common, Step.Common.class, where);
        check(s, c, kind, where);
        return new Scenario.Entry(s, c, step, at);
    }

    /** What the types alone do not say: required keys, exclusive keys, and which expectations apply to a kind. */
    private static void check(Step s, Step.Common c, String kind, String where) {
        if (s instanceof Step.Ioctl io) {
            if (io.fd() == null) {
                throw new ScenarioException(where + ": an ioctl step needs \"fd\"");
            }
            if ((io.arg() != null ? 1 : 0) + (io.raw() != null ? 1 : 0) + (io.struct() != null ? 1 : 0) > 1) {
                throw new ScenarioException(where + ": give at most one of \"arg\", \"raw\" and \"struct\"");
            }
        }
        if (s instanceof Step.Mmap m && m.mmap() == null) {
            throw new ScenarioException(where + ".mmap: {\"size\": n} or {\"fd\": vcpu, \"size\": n}");
        }
        boolean result = Step.hasResult(s);
        if (!result && (c.expect() != null || !c.expectByProfile().isEmpty())) {
            throw new ScenarioException(where + ": a " + kind + " step has no result to expect anything of "
                    + "(expectations are for " + List.of("open", "close", "mmap", "ioctl", "smc", "rsi") + " steps)");
        }
        if (c.as() != null && (!result || Step.yieldsRegisters(s))) {
            throw new ScenarioException(where + ": 'as' binds a return value, which a " + kind + " step has not "
                    + "(use \"save\" for registers)");
        }
        List<Map.Entry<String, Expect>> all = new ArrayList<>();
        if (c.expect() != null) {
            all.add(Map.entry(".expect", c.expect()));
        }
        c.expectByProfile().forEach((p, e) -> all.add(Map.entry(".expect_by_profile." + p, e)));
        for (Map.Entry<String, Expect> e : all) {
            Expect x = e.getValue();
            String w = where + e.getKey();
            if (Step.yieldsRegisters(s)) {
                if (x.ok() != null || x.result() != null || x.errno() != null || !x.fields().isEmpty()
                        || !x.pointee().isEmpty() || !x.run().isEmpty()) {
                    throw new ScenarioException(w + ": a " + kind + " step's result is registers: expect x0..x7 "
                            + "(and rmi, rmi_exactly, rmi_absent)");
                }
            } else {
                if (x.hasRegisters()) {
                    throw new ScenarioException(w + ": x0..x7 are for smc and rsi steps");
                }
                if (!(s instanceof Step.Ioctl) && (!x.fields().isEmpty() || !x.pointee().isEmpty()
                        || !x.run().isEmpty())) {
                    throw new ScenarioException(w + ": fields, pointee and run are for ioctl steps");
                }
            }
        }
    }

    /** Binds {@code n} to a record; a mismatch becomes one line naming the key and what was expected. */
    static <T> T bind(JsonNode n, Class<T> type, String where) {
        try {
            return MAPPER.treeToValue(n, type);
        } catch (UnrecognizedPropertyException e) {
            List<JsonMappingException.Reference> path = e.getPath();
            String at = path(path.subList(0, Math.max(0, path.size() - 1)));
            throw new ScenarioException(where + at + ": unknown key '" + e.getPropertyName() + "' (known: "
                    + known(e.getKnownPropertyIds()) + ")");
        } catch (MismatchedInputException e) {
            JsonNode got = nodeAt(n, e.getPath());
            throw new ScenarioException(where + path(e.getPath()) + ": expected " + describe(e.getTargetType())
                    + (got != null ? ", got " + kindOf(got) : ""));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String msg = String.valueOf(e instanceof JsonProcessingException j ? j.getOriginalMessage()
                    : e.getMessage()).lines().findFirst().orElse("");
            throw new ScenarioException(where + (e instanceof JsonMappingException m ? path(m.getPath()) : "") + ": "
                    + msg);
        }
    }

    private static String known(Collection<Object> ids) {
        List<String> l = new ArrayList<>();
        for (Object o : ids) {
            l.add(String.valueOf(o));
        }
        return l.toString();
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                sb.append('.').append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static JsonNode nodeAt(JsonNode n, List<JsonMappingException.Reference> refs) {
        JsonNode cur = n;
        for (JsonMappingException.Reference r : refs) {
            if (cur == null) {
                return null;
            }
            cur = r.getFieldName() != null ? cur.get(r.getFieldName()) : r.getIndex() >= 0 ? cur.get(r.getIndex()) : cur;
        }
        return cur;
    }

    private static String describe(Class<?> target) {
        if (target == null) {
            return "another value";
        }
        if (Map.class.isAssignableFrom(target) || target.isRecord()) {
            return "an object";
        }
        if (Collection.class.isAssignableFrom(target) || target.isArray()) {
            return "an array";
        }
        if (target == String.class) {
            return "a string";
        }
        if (target == Boolean.class || target == boolean.class) {
            return "true or false";
        }
        return "a " + target.getSimpleName();
    }

    private static String kindOf(JsonNode n) {
        if (n.isObject()) {
            return "an object";
        }
        if (n.isArray()) {
            return "an array";
        }
        if (n.isTextual()) {
            return "a string";
        }
        if (n.isNumber()) {
            return "a number";
        }
        if (n.isBoolean()) {
            return "a boolean";
        }
        return n.isNull() ? "null" : n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    private static void keys(JsonNode n, Set<String> allowed, String where) {
        Iterator<String> it = n.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new ScenarioException(where + ": unknown key '" + k + "' (known: " + allowed + ")");
            }
        }
    }
}
