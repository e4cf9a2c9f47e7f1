package dev.cca.vmm;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every command's {@code --help} examples paste as they are: each example is one whole line of the usage help at
 * picocli's default width (80 columns), and the command it shows parses (its options and subcommands exist).
 */
class HelpExamplesTest {
    /** Every command by its words after "cca" ("" for cca itself), with its spec. */
    private static Map<String, CommandLine.Model.CommandSpec> commands() {
        Map<String, CommandLine.Model.CommandSpec> all = new LinkedHashMap<>();
        collect(Main.commandLine(new Main(), Main.SUBCOMMANDS), "", all);
        return all;
    }

    private static void collect(CommandLine cl, String path, Map<String, CommandLine.Model.CommandSpec> all) {
        all.put(path, cl.getCommandSpec());
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            if (e.getValue().getCommandSpec().name().equals(e.getKey())) { // not its aliases
                collect(e.getValue(), (path + " " + e.getKey()).trim(), all);
            }
        }
    }

    /** The example command lines of a footer: indented lines that run cca (possibly after a pipe). */
    static List<String> examples(String[] footer) {
        List<String> l = new ArrayList<>();
        for (String f : footer) {
            for (String line : String.format(Locale.ROOT, f).split("\r?\n")) {
                if (line.startsWith("  ") && (line.trim().startsWith("cca ") || line.trim().equals("cca")
                        || line.contains("| cca "))) {
                    l.add(line);
                }
            }
        }
        return l;
    }

    /** The words of the cca command in an example: after any pipe, before a comment or an explanation column. */
    static List<String> words(String example) {
        String s = example.trim();
        int pipe = s.lastIndexOf("| cca ");
        if (pipe >= 0) {
            s = s.substring(pipe + 2);
        }
        s = s.split("\\s{2,}|\\s#")[0];
        List<String> w = ShellWords.split(s);
        assertEquals("cca", w.get(0), example);
        return w.subList(1, w.size());
    }

    @Test
    void everyHelpExampleIsOneWholeLineAndParses() {
        int checked = 0;
        for (Map.Entry<String, CommandLine.Model.CommandSpec> c : commands().entrySet()) {
            List<String> args = new ArrayList<>(c.getKey().isEmpty() ? List.of() : List.of(c.getKey().split(" ")));
            args.add("--help");
            CliRunner r = CliRunner.run(args.toArray(new String[0]));
            assertEquals(0, r.exit(), c.getKey() + ": " + r.err());
            List<String> lines = r.out().lines().toList();
            for (String ex : examples(c.getValue().usageMessage().footer())) {
                assertTrue(lines.contains(ex), "cca " + c.getKey() + " --help: the example \"" + ex
                        + "\" is not a line of its own:\n" + r.out());
                List<String> w = words(ex);
                try {
                    Main.commandLine(new Main(), Main.SUBCOMMANDS).parseArgs(w.toArray(new String[0]));
                } catch (CommandLine.ParameterException e) {
                    fail("cca " + c.getKey() + " --help: the example \"" + ex.trim() + "\" does not parse: "
                            + e.getMessage());
                }
                checked++;
            }
        }
        assertTrue(checked >= 20, checked + " examples");
    }

    @Test
    void proseInTheFooterIsStillWrappedAtTheUsageWidth() {
        CliRunner r = CliRunner.run("run", "--help");
        String out = r.out();
        assertTrue(out.contains("Exit status: 0 the guest powered off"), out);
        String footer = out.substring(out.indexOf("Exit status:"));
        for (String line : footer.lines().toList()) {
            if (!line.startsWith(" ")) {
                assertFalse(line.length() > 80, "a prose line wider than 80 columns: " + line);
            }
        }
    }
}
