package dev.cca.core;

import dev.cca.core.cpu.decode.A64;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Developer tool: reads "hexword TAB mnemonic TAB operands" lines (objdump output of real binaries, e.g. the cross
 * toolchain's libc.a) and lists, per mnemonic, the words the decoder treats as UNDEFINED. Usage: java -cp
 * target/classes:target/test-classes dev.cca.core.DecodeCoverage words.txt
 */
public final class DecodeCoverage {
    private DecodeCoverage() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, Integer> missing = new TreeMap<>();
        Map<String, String> example = new TreeMap<>();
        int total = 0;
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] p = line.split("\t");
            if (p.length < 2) {
                continue;
            }
            int word = (int) Long.parseLong(p[0], 16);
            total++;
            if (A64.decode(word) == A64.UNDEFINED) {
                missing.merge(p[1], 1, Integer::sum);
                example.putIfAbsent(p[1], line);
            }
        }
        System.out.println(total + " words, " + missing.values().stream().mapToInt(Integer::intValue).sum()
                + " undefined");
        missing.forEach((k, v) -> System.out.println(v + "\t" + example.get(k)));
    }
}
