package dev.cca.vmm.abitest;

import dev.cca.kvm.uapi.AbiProfile;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Runs scenario files and reports them: one line per scenario, a total, and optionally JUnit XML. */
public final class AbiTestSuite {
    /** One scenario's result with where it came from. */
    public record Entry(Scenarios.Loaded source, ScenarioRunner.Outcome outcome) {
    }

    private final AbiProfile profile;
    private final PrintStream out;
    private final PrintStream trace;
    private final List<Entry> entries = new ArrayList<>();

    /** @param trace where step traces go (verbose), or null */
    public AbiTestSuite(AbiProfile profile, PrintStream out, PrintStream trace) {
        this.profile = profile;
        this.out = out;
        this.trace = trace;
    }

    /** Runs every scenario of {@code files}, printing a line per scenario. */
    public void run(List<Path> files) {
        ScenarioRunner runner = new ScenarioRunner(profile, trace);
        for (Path f : files) {
            for (Scenarios.Loaded l : Scenarios.load(f)) {
                ScenarioRunner.Outcome o;
                if (l.error() != null) {
                    o = new ScenarioRunner.Outcome(l.name(), ScenarioRunner.Status.FAILED, "bad scenario file: "
                            + l.error(), 0);
                } else {
                    if (trace != null) {
                        trace.println(l.where() + ": " + l.name());
                    }
                    o = runner.run(l.json(), l.where());
                }
                entries.add(new Entry(l, o));
                out.println(line(l, o));
                out.flush();
            }
        }
    }

    private static String line(Scenarios.Loaded l, ScenarioRunner.Outcome o) {
        String tag = o.status() == ScenarioRunner.Status.PASSED ? "PASS" : o.status() == ScenarioRunner.Status.FAILED
                ? "FAIL" : "SKIP";
        String s = String.format(Locale.ROOT, "%s  %s: %s", tag, l.file().getFileName(), o.name());
        if (!o.message().isEmpty()) {
            s += o.status() == ScenarioRunner.Status.SKIPPED ? " (" + o.message() + ")" : "\n      " + o.message();
        }
        for (String logged : o.log()) {
            s += "\n      log: " + logged; // what the host logged at the failing step
        }
        return s;
    }

    public List<Entry> entries() {
        return entries;
    }

    public int passed() {
        return count(ScenarioRunner.Status.PASSED);
    }

    public int failed() {
        return count(ScenarioRunner.Status.FAILED);
    }

    public int skipped() {
        return count(ScenarioRunner.Status.SKIPPED);
    }

    private int count(ScenarioRunner.Status s) {
        int n = 0;
        for (Entry e : entries) {
            if (e.outcome().status() == s) {
                n++;
            }
        }
        return n;
    }

    /**
     * The closing line: "N passed, M failed, K skipped", the same counts as the JUnit XML's tests (N + M + K),
     * failures (M), errors (0: a malformed scenario is a failure) and skipped (K).
     */
    public String totals() {
        return passed() + " passed, " + failed() + " failed, " + skipped() + " skipped";
    }

    /** Writes JUnit XML (one testsuite per scenario file) for CI systems. */
    public void writeJUnit(Path file) throws IOException {
        Map<Path, List<Entry>> byFile = new LinkedHashMap<>();
        for (Entry e : entries) {
            byFile.computeIfAbsent(e.source().file(), k -> new ArrayList<>()).add(e);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            w.write(String.format(Locale.ROOT, "<testsuites name=\"cca abi-test (profile %s)\" tests=\"%d\" "
                    + "failures=\"%d\" errors=\"0\" skipped=\"%d\">\n", esc(profile.id), entries.size(), failed(),
                    skipped()));
            for (Map.Entry<Path, List<Entry>> f : byFile.entrySet()) {
                List<Entry> es = f.getValue();
                double time = 0;
                int fails = 0, skips = 0;
                for (Entry e : es) {
                    time += e.outcome().seconds();
                    fails += e.outcome().status() == ScenarioRunner.Status.FAILED ? 1 : 0;
                    skips += e.outcome().status() == ScenarioRunner.Status.SKIPPED ? 1 : 0;
                }
                String suite = f.getKey().getFileName().toString();
                w.write(String.format(Locale.ROOT, "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
                        + "skipped=\"%d\" time=\"%.3f\">\n", esc(suite), es.size(), fails, skips, time));
                w.write(String.format("    <properties><property name=\"abi.profile\" value=\"%s\"/></properties>%n",
                        esc(profile.id)));
                for (Entry e : es) {
                    ScenarioRunner.Outcome o = e.outcome();
                    w.write(String.format(Locale.ROOT, "    <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\"",
                            esc("abi." + profile.id + "." + suite), esc(o.name()), o.seconds()));
                    if (o.status() == ScenarioRunner.Status.PASSED) {
                        w.write("/>\n");
                    } else if (o.status() == ScenarioRunner.Status.SKIPPED) {
                        w.write(">\n      <skipped message=\"" + esc(o.message()) + "\"/>\n    </testcase>\n");
                    } else {
                        w.write(">\n      <failure message=\"" + esc(o.message()) + "\">" + esc(e.source().where()
                                + ": " + o.message()) + "</failure>\n");
                        if (!o.log().isEmpty()) {
                            w.write("      <system-err>" + esc(String.join("\n", o.log())) + "</system-err>\n");
                        }
                        w.write("    </testcase>\n");
                    }
                }
                w.write("  </testsuite>\n");
            }
            w.write("</testsuites>\n");
        }
    }

    private static String esc(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<': sb.append("&lt;"); break;
                case '>': sb.append("&gt;"); break;
                case '&': sb.append("&amp;"); break;
                case '"': sb.append("&quot;"); break;
                case '\n': sb.append("&#10;"); break;
                default:
                    if (c < 0x20 && c != '\t') {
                        sb.append(' ');
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.toString();
    }
}
