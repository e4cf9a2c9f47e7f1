package dev.cca.vmm.abitest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/abi-scenarios.md's schema and the records the runner parses steps into say the same, both ways: every key
 * the document lists is a component of its record, and every component is in the document.
 */
class ScenarioDocTest {
    private static final Pattern NAME = Pattern.compile("`([a-z_0-9]+)`");

    private static List<String> doc() throws IOException {
        return Files.readAllLines(Path.of("..", "docs", "abi-scenarios.md"));
    }

    /** The rows (cells) of the table whose header line starts with {@code header}, after line {@code from}. */
    private static List<String[]> table(List<String> doc, String after, String header) {
        int i = doc.indexOf(after);
        assertTrue(i >= 0, "no line '" + after + "' in docs/abi-scenarios.md");
        while (i < doc.size() && !doc.get(i).replace(" ", "").startsWith(header.replace(" ", ""))) {
            i++;
        }
        assertTrue(i < doc.size(), "no table '" + header + "' after '" + after + "'");
        List<String[]> rows = new ArrayList<>();
        for (i += 2; i < doc.size() && doc.get(i).startsWith("|"); i++) {
            String[] cells = doc.get(i).replace("\\|", "/").split("\\|");
            rows.add(java.util.Arrays.copyOfRange(cells, 1, cells.length));
        }
        return rows;
    }

    private static Set<String> names(String cell) {
        Set<String> s = new LinkedHashSet<>();
        Matcher m = NAME.matcher(cell);
        while (m.find()) {
            s.add(m.group(1));
        }
        return s;
    }

    /** The first column's key of each row; "`x0` .. `x7`" stands for x0, x1, ..., x7. */
    private static Set<String> firstColumn(List<String[]> rows) {
        Set<String> s = new LinkedHashSet<>();
        for (String[] r : rows) {
            Matcher range = Pattern.compile("`x(\\d)` \\.\\. `x(\\d)`").matcher(r[0]);
            if (range.find()) {
                for (int i = Integer.parseInt(range.group(1)); i <= Integer.parseInt(range.group(2)); i++) {
                    s.add("x" + i);
                }
            } else {
                s.addAll(names(r[0]));
            }
        }
        return s;
    }

    /** The JSON keys ({@code "name":}) written in column {@code col} of the row whose first cell has {@code key}. */
    private static Set<String> jsonKeys(List<String[]> rows, String key, int col) {
        String cell = rows.stream().filter(r -> r[0].contains(key)).findFirst().orElseThrow()[col];
        Set<String> keys = new LinkedHashSet<>();
        Matcher m = Pattern.compile("\"([a-z_]+)\":").matcher(cell);
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    @Test
    void theScenarioKeysAreTheScenarioRecordsComponents() throws IOException {
        List<String[]> rows = table(doc(), "### Scenario", "| key");
        assertEquals(Scenarios.keysOf(Scenario.class), firstColumn(rows));
        assertEquals(Scenarios.keysOf(Scenario.Host.class), jsonKeys(rows, "`host`", 2), "the host row's keys");
    }

    @Test
    void theKeysEveryStepCanHaveAreTheCommonRecordsComponents() throws IOException {
        assertEquals(Scenarios.keysOf(Step.Common.class), firstColumn(table(doc(), "### Step kinds", "| key")));
    }

    @Test
    void everyStepKindAndItsKeysAreARecordAndItsComponents() throws IOException {
        Map<String, Set<String>> documented = new LinkedHashMap<>();
        for (String[] r : table(doc(), "### Step kinds", "| kind")) {
            String kind = names(r[0]).iterator().next();
            documented.put(kind, names(r[1]));
        }
        Map<String, Set<String>> records = new LinkedHashMap<>();
        for (Map.Entry<String, Class<? extends Step>> k : Scenarios.KINDS.entrySet()) {
            Set<String> keys = new LinkedHashSet<>(Scenarios.keysOf(k.getValue()));
            keys.remove(k.getKey());
            records.put(k.getKey(), keys);
        }
        assertEquals(records.keySet(), documented.keySet(), "the step kinds");
        for (String kind : records.keySet()) {
            assertEquals(records.get(kind), documented.get(kind), "the other keys of a " + kind + " step");
        }
        assertEquals(Scenarios.keysOf(Step.MmapArgs.class), jsonKeys(table(doc(), "### Step kinds", "| kind"), "`mmap`",
                2), "the keys of an mmap step's value");
    }

    @Test
    void theExpectationsAreTheExpectRecordsComponents() throws IOException {
        assertEquals(Scenarios.keysOf(Expect.class), firstColumn(table(doc(), "#### Expectations", "| key")));
    }

    @Test
    void aKeyMissingFromADocumentedRecordWouldBeFound() {
        // The comparison is not vacuous: the records have keys, and a kind's keys differ from another's.
        assertTrue(Scenarios.keysOf(Step.Ioctl.class).contains("signal_after_ms"));
        assertTrue(Scenarios.keysOf(Expect.class).contains("rmi_exactly"));
        assertEquals(11, Scenarios.KINDS.size());
    }
}
