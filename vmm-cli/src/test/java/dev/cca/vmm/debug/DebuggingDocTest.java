package dev.cca.vmm.debug;

import dev.cca.vmm.CliProcess;
import dev.cca.vmm.ShellWords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example sessions of docs/debugging.md, replayed: the {@code cca debug --script} session (its script, the
 * console's output and the run's summary) and the gdb-multiarch session against {@code cca run --gdb} (gdb's
 * output, and what cca printed meanwhile). Output is compared line by line; only what legitimately varies is
 * normalised: the wall time, TCP ports, and trailing blanks. A "..." line in the document stands for any lines.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DebuggingDocTest {
    private static final Path DOC = Path.of("..", "docs", "debugging.md");

    /** The indented code block that contains the line {@code first}, from that line on, without the indent. */
    static List<String> block(List<String> doc, String first) {
        int i = doc.indexOf("    " + first);
        assertTrue(i >= 0, "no line '" + first + "' in docs/debugging.md");
        List<String> l = new ArrayList<>();
        for (; i < doc.size() && (doc.get(i).startsWith("    ") || doc.get(i).isBlank()); i++) {
            l.add(doc.get(i).isBlank() ? "" : doc.get(i).substring(4));
        }
        while (!l.isEmpty() && l.get(l.size() - 1).isEmpty()) {
            l.remove(l.size() - 1);
        }
        return l;
    }

    static String normalise(String line) {
        return line.replaceAll("\\s+$", "")
                .replaceAll("wall time:\\s+.*", "wall time: (varies)")
                .replaceAll("127\\.0\\.0\\.1:\\d+", "127.0.0.1:PORT");
    }

    private static List<String> normalise(List<String> lines) {
        return lines.stream().map(DebuggingDocTest::normalise).toList();
    }

    private static List<String> lines(String text) {
        List<String> l = new ArrayList<>(text.lines().toList());
        while (!l.isEmpty() && l.get(l.size() - 1).isBlank()) {
            l.remove(l.size() - 1);
        }
        return l;
    }

    @Test
    void theCcaDebugSessionPrintsWhatTheDocumentShows(@TempDir Path dir) throws Exception {
        List<String> doc = Files.readAllLines(DOC);
        List<String> b = block(doc, "$ cat steps.txt");
        int run = 1;
        while (!b.get(run).startsWith("$ cca debug")) {
            run++;
        }
        Path script = dir.resolve("steps.txt");
        Files.write(script, b.subList(1, run));
        List<String> args = new ArrayList<>(List.of(b.get(run).substring("$ cca ".length()).split(" ")));
        assertEquals("steps.txt", args.get(args.size() - 1), b.get(run));
        args.set(args.size() - 1, script.toString());
        List<String> expected = b.subList(run + 1, b.size());
        int summary = expected.indexOf("--- cca run summary ---");
        assertTrue(summary > 0, "the session ends with the run's summary");

        CliProcess cca = new CliProcess(args.toArray(new String[0]));
        int exit = cca.await(300_000);
        assertEquals(0, exit, cca.err());
        List<String> console = expected.subList(0, summary);
        assertEquals(normalise(lines(String.join("\n", console))), normalise(lines(cca.out())),
                "standard output of the session in docs/debugging.md");
        List<String> err = lines(cca.err());
        int from = err.indexOf("--- cca run summary ---");
        assertTrue(from >= 0, cca.err());
        assertEquals(normalise(expected.subList(summary, expected.size())), normalise(err.subList(from, err.size())),
                "the summary on standard error");
    }

    @Test
    void theGdbSessionPrintsWhatTheDocumentShows() throws Exception {
        GdbMultiarchTest.findOrInstallGdb(); // skipped, with the reason, without gdb-multiarch
        List<String> doc = Files.readAllLines(DOC);
        List<String> b = block(doc, "$ gdb-multiarch -q -batch -nx -ex 'target remote :1234' -ex 'info threads' "
                + "-ex 'break puts' -ex 'continue' \\");
        StringBuilder command = new StringBuilder();
        int i = 0;
        while (b.get(i).endsWith("\\")) {
            command.append(b.get(i), 0, b.get(i).length() - 1).append(' ');
            i++;
        }
        command.append(b.get(i));
        List<String> expected = b.subList(i + 1, b.size());
        List<String> words = ShellWords.split(command.substring(2));
        assertEquals("hello-realm.elf", words.get(words.size() - 1));

        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        int port = Integer.parseInt(cca.awaitErr("gdb: listening on 127\\.0\\.0\\.1:(\\d+)", 60_000));
        List<String> cmd = new ArrayList<>();
        cmd.add(GdbMultiarchTest.gdb);
        for (String w : words.subList(1, words.size() - 1)) {
            cmd.add(w.equals("target remote :1234") ? "target remote :" + port : w);
        }
        cmd.add(1, "-ex");
        cmd.add(2, "set remotetimeout 60"); // a loaded machine: no effect on the output
        cmd.add(GdbMultiarchTest.ELF.toString());
        Path log = Files.createTempFile("gdb-session", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("gdb-multiarch did not finish in 5 minutes:\n" + Files.readString(log));
            }
            assertEquals(normalise(expected), normalise(lines(Files.readString(log))),
                    "gdb's output in the session of docs/debugging.md");
        } finally {
            Files.deleteIfExists(log);
        }
        assertEquals(0, cca.await(300_000), cca.err());

        // "Meanwhile cca run printed": each line in order on standard error or standard output.
        List<String> printed = block(doc, "gdb: listening on 127.0.0.1:1234; the machine waits for gdb (target remote "
                + "127.0.0.1:1234)");
        List<String> err = normalise(lines(cca.err()));
        List<String> out = normalise(lines(cca.out()));
        int e = 0, o = 0;
        for (String want : normalise(printed)) {
            if (want.equals("...")) {
                continue;
            }
            int inErr = err.subList(e, err.size()).indexOf(want);
            int inOut = out.subList(o, out.size()).indexOf(want);
            assertTrue(inErr >= 0 || inOut >= 0, "\"" + want + "\" (in order) is not in what cca printed:\n"
                    + String.join("\n", err) + "\n" + String.join("\n", out));
            if (inErr >= 0) {
                e += inErr + 1;
            } else {
                o += inOut + 1;
            }
        }
    }

    @Test
    void normalisingKeepsWhatMatters() throws IOException {
        assertEquals("wall time: (varies)", normalise("wall time:    0.083 s (0.0 M instructions/s)"));
        assertEquals("gdb: client connected from /127.0.0.1:PORT", normalise("gdb: client connected from /127.0.0.1:43356"));
        assertEquals("  in RMI_REC_ENTER rec=0x80003000", normalise("  in RMI_REC_ENTER rec=0x80003000  "));
    }
}
