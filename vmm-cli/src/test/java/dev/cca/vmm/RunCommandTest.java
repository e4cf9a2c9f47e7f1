package dev.cca.vmm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `cca run` end to end: the embedded realm guest, and one-line errors for bad images. */
class RunCommandTest {
    static final Path HELLO = Path.of("..", "src-test-images", "hello-realm", "hello-realm.elf");

    @Test
    void defaultRunBootsTheEmbeddedRealmAndPrintsItsRim() {
        CliRunner r = CliRunner.run("run");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Hello from a realm!"), r.out());
        assertTrue(r.out().contains("RSI version: 1.0"), r.out());
        assertTrue(r.out().contains("IPA width: 33 bits"), r.out());
        assertTrue(r.err().contains("ended:        guest powered off (PSCI SYSTEM_OFF)"), r.err());
        Matcher guest = Pattern.compile("\nRIM: ([0-9a-f]{64})\n").matcher(r.out());
        Matcher summary = Pattern.compile("RIM \\(SHA-256\\): ([0-9a-f]{64})").matcher(r.err());
        assertTrue(guest.find() && summary.find(), r.out() + r.err());
        assertEquals(summary.group(1), guest.group(1),
                "the RIM the realm read with RSI_MEASUREMENT_READ is the RIM the RMM holds");
        assertTrue(r.err().matches("(?s).*instructions: [1-9][0-9]*\n.*"), r.err());
        assertFalse(r.out().contains("cca run summary") || r.out().contains("instructions:"),
                "standard output is the guest's console only: " + r.out());
    }

    @Test
    void explicitImageRunsAsRealmAndMemorySizeChangesTheIpaWidthAndRim() {
        CliRunner small = CliRunner.run("run", "--realm", "-k", HELLO.toString(), "-m", "64");
        CliRunner big = CliRunner.run("run", "--realm", "--kernel", HELLO.toString(), "--memory", "4G");
        assertEquals(0, small.exit(), small.err());
        assertEquals(0, big.exit(), big.err());
        assertTrue(small.out().contains("IPA width: 33 bits"));
        assertTrue(big.out().contains("IPA width: 34 bits"), big.out());
        assertFalse(rim(small.err()).equals(rim(big.err())), "RIM covers the IPA width and RIPAS layout");
    }

    private static String rim(String out) {
        Matcher m = Pattern.compile("RIM \\(SHA-256\\): ([0-9a-f]+)").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    private static void assertOneLineError(CliRunner r, String... fragments) {
        assertEquals(1, r.exit(), r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "exactly one line: " + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), err + " should mention " + f);
        }
        assertFalse(err.contains("\tat "), "no stack trace without -v");
    }

    @Test
    void missingFileIsOneLineError() {
        assertOneLineError(CliRunner.run("run", "--realm", "-k", "/nonexistent/guest.elf"),
                "/nonexistent/guest.elf", "no such file");
    }

    @Test
    void emptyFileIsOneLineError(@TempDir Path dir) throws IOException {
        Path f = Files.createFile(dir.resolve("empty.elf"));
        assertOneLineError(CliRunner.run("run", "--realm", "-k", f.toString()), "empty.elf", "empty");
    }

    @Test
    void truncatedImageIsOneLineError(@TempDir Path dir) throws IOException {
        byte[] full = Files.readAllBytes(HELLO);
        Path f = dir.resolve("truncated.elf");
        Files.write(f, Arrays.copyOf(full, 5000));
        assertOneLineError(CliRunner.run("run", "--realm", "-k", f.toString()), "truncated.elf", "truncated");
    }

    @Test
    void imageLargerThanGuestMemoryIsOneLineError(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("big.bin");
        Files.write(f, new byte[3 << 20]);
        assertOneLineError(CliRunner.run("run", "--realm", "-k", f.toString(), "-m", "2"),
                "big.bin", "does not fit in guest memory");
    }

    @Test
    void verboseErrorsCarryTheStackTrace() {
        CliRunner r = CliRunner.run("-v", "run", "--realm", "-k", "/nonexistent/guest.elf");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void helpShowsWorkingExamples() {
        CliRunner top = CliRunner.run("--help");
        assertEquals(0, top.exit());
        assertTrue(top.out().contains("cca run"), top.out());
        CliRunner run = CliRunner.run("run", "--help");
        assertEquals(0, run.exit());
        assertTrue(run.out().contains("--kernel") && run.out().contains("--append") && run.out().contains("--smp"));
        assertTrue(run.out().contains("Examples:"));
    }

    @Test
    void instructionLimitStopsAGuestThatNeverEnds(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("loop.bin");
        Files.write(f, new byte[] {0x00, 0x00, 0x00, 0x14}); // b .
        CliRunner r = CliRunner.run("run", "--realm", "-k", f.toString(), "--max-instructions", "20000000");
        assertEquals(4, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("instruction limit reached"), r.err());
    }

    @Test
    void imageMayBeGivenPositionallyAsInLkvmRun() {
        CliRunner r = CliRunner.run("run", HELLO.toString(), "--realm");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Hello from a realm!"), r.out());
    }

    @Test
    void imageGivenTwiceIsAUsageError() {
        CliRunner r = CliRunner.run("run", "-k", HELLO.toString(), HELLO.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("the guest image was given twice"), r.err());
    }

    @Test
    void capitalSWithoutAGdbPortIsAUsageError() {
        CliRunner r = CliRunner.run("run", "-S");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("-S needs --gdb tcp::PORT (or -s)"), r.err());
        CliRunner both = CliRunner.run("run", "-s", "--gdb", "tcp::1235");
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("give one of -s and --gdb"), both.err());
    }

    @Test
    void diskThatDoesNotExistIsAUsageErrorNamingIt(@TempDir Path dir) {
        String missing = dir.resolve("missing").toString();
        CliRunner r = CliRunner.run("run", "-d", missing + "/disk.img");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--disk " + missing + "/disk.img: no such file"), r.err());
        CliRunner c = CliRunner.run("run", "--console", "telnet");
        assertTrue(c.err().contains("--console must be serial or virtio, was 'telnet'"), c.err());
        CliRunner p9 = CliRunner.run("run", "--9p", missing + ",tag");
        assertEquals(2, p9.exit());
        assertTrue(p9.err().contains(missing + " is not a directory"), p9.err());
    }

    @Test
    void helpPrintsTheMemoryMapFromMemoryMap() {
        CliRunner r = CliRunner.run("run", "--help");
        assertTrue(r.out().contains(MemoryMap.describe().lines().filter(l -> l.contains("ECAM")).findFirst()
                .orElseThrow()), r.out());
    }
}
