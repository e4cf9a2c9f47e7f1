package dev.cca.vmm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guests that cannot make progress, run through cca run as normal VMs and as realms: each run ends quickly with a
 * summary that says where the PE is stuck (exception level, PC, ESR), never with a hang, a Java stack trace or a
 * JVM failure; --timeout and --max-instructions bound a guest that simply never ends.
 */
@Timeout(120)
class GuestFaultReportTest {

    private static Path image(Path dir, String name, int... words) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * words.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : words) {
            b.putInt(w);
        }
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    private static CliRunner run(boolean realm, Path image) {
        return realm
                ? CliRunner.run("run", "--realm", "-k", image.toString(), "--timeout", "60s")
                : CliRunner.run("run", "-k", image.toString(), "--timeout", "60s");
    }

    /** The run ended on the exception loop, and the summary names the loop's EL, PC and ESR. */
    private static String assertStuckReport(CliRunner r, boolean realm) {
        String out = r.err(); // the summary is on standard error
        assertEquals(1, r.exit(), r.out() + out);
        assertTrue(out.contains("ended:        a vCPU cannot continue (KVM_EXIT_INTERNAL_ERROR)"), out);
        String line = out.lines().filter(l -> l.startsWith("stopped:      PE0: exception loop")).findFirst()
                .orElseThrow(() -> new AssertionError("no stop report in\n" + out));
        assertTrue(line.contains(realm ? "EL1 R pc=0x" : "EL1 NS pc=0x") && line.contains("esr=0x"), line);
        assertTrue(!out.contains("Exception") && !out.contains("\tat "), "no Java stack trace: " + out);
        return line;
    }

    @ParameterizedTest(name = "realm={0}")
    @ValueSource(booleans = {false, true})
    void garbageImageEndsWithAnExceptionLoopReport(boolean realm, @TempDir Path dir) throws IOException {
        byte[] garbage = new byte[16384];
        new Random(1).nextBytes(garbage);
        Path f = dir.resolve("garbage.bin");
        Files.write(f, garbage);
        assertStuckReport(run(realm, f), realm);
    }

    @ParameterizedTest(name = "realm={0}")
    @ValueSource(booleans = {false, true})
    void jumpToUnmappedMemoryEndsWithAReportNamingTheJumpAndTheLoop(boolean realm, @TempDir Path dir)
            throws IOException {
        Path f = image(dir, "jump.bin",
                0xd2c00020,  // mov x0, #0x100000000   (outside RAM; for a realm, the unprotected half)
                0xd61f0000); // br  x0
        String line = assertStuckReport(run(realm, f), realm);
        // VBAR_EL1 is 0: the fetch abort's vector (0x200) is not memory either, and the hypervisor (KVM, or the
        // RMM for a realm) injects the same abort again and again.
        assertTrue(line.contains("pc=0x200 ") && line.contains("Instruction abort"), line);
        assertTrue(line.contains("before the loop: EL1 " + (realm ? "R" : "NS") + " pc=0x100000000"), line);
    }

    @ParameterizedTest(name = "realm={0}")
    @ValueSource(booleans = {false, true})
    void vectorTableOfGarbageEndsWithAReportAtTheVector(boolean realm, @TempDir Path dir) throws IOException {
        int[] words = new int[0x800 / 4 + 512];
        words[0] = 0x10004000; // adr x0, table     (table = image + 0x800, all zero: UDF #0)
        words[1] = 0xd518c000; // msr vbar_el1, x0
        words[2] = 0xd5033fdf; // isb
        words[3] = 0x00000001; // udf #1
        String line = assertStuckReport(run(realm, image(dir, "vbar.bin", words)), realm);
        assertTrue(line.contains("pc=0x40000a00 insn=00000000") && line.contains("undefined instruction"), line);
        assertTrue(line.contains("without an exception return"), line);
    }

    @Test
    void aGuestThatNeverEndsIsBoundedByTheTimeoutAndTheSummarySaysWhereItWas(@TempDir Path dir)
            throws IOException {
        Path f = image(dir, "loop.bin", 0xd503201f, 0x17ffffff); // 1: nop; b 1b
        CliRunner r = CliRunner.run("run", "-k", f.toString(), "--timeout", "1s");
        assertEquals(4, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("ended:        timeout"), r.err());
        assertTrue(r.err().matches("(?s).*vCPU 0:      pc=0x4000000[04] EL1h\n.*"), r.err());
        CliRunner m = CliRunner.run("run", "-k", f.toString(), "--max-instructions", "5000000");
        assertEquals(4, m.exit(), m.out() + m.err());
        assertTrue(m.err().contains("ended:        instruction limit reached"), m.err());
        // A realm's registers are not the host's to read: the summary shows the RMM's view of each REC.
        CliRunner realm = CliRunner.run("run", "--realm", "-k", f.toString(), "--timeout", "1s");
        assertEquals(4, realm.exit(), realm.out() + realm.err());
        assertTrue(realm.err().matches("(?s).*REC 0:        pc=0x4000000[04] EL1h \\(RMM's view, REC 0x[0-9a-f]+\\)\n.*"),
                realm.err());
    }
}
