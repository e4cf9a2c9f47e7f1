package dev.cca.vmm;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** cca run --host-image: src-test-images/host-image, an NS-EL2 host of our own, drives the RMM through RMI. */
class HostImageTest {
    private static final Path DIR = Path.of("..", "src-test-images", "host-image");
    private static final String IMAGE = DIR.resolve("host-image.elf").toString();

    @Test
    void hostImageCreatesRunsAndDestroysARealm() {
        CliRunner r = CliRunner.run("run", "--host-image", IMAGE);
        assertEquals(RunCommand.EXIT_OK, r.exit(), r.err());
        String[] calls = {"RMI_VERSION", "RMI_REALM_CREATE", "RMI_RTT_CREATE", "RMI_RTT_INIT_RIPAS", "RMI_DATA_CREATE",
            "RMI_REC_CREATE", "RMI_REALM_ACTIVATE", "RMI_REC_ENTER", "RMI_REC_DESTROY", "RMI_DATA_DESTROY",
            "RMI_RTT_DESTROY", "RMI_REALM_DESTROY", "RMI_GRANULE_UNDELEGATE"};
        for (String c : calls) {
            assertTrue(r.out().contains(c + ": status 0x0\n"), c + " did not succeed:\n" + r.out());
        }
        assertTrue(r.out().contains("REC exit: reason 0x3, x0 0x84000008\n"), r.out()); // RMI_EXIT_PSCI, SYSTEM_OFF
        assertTrue(r.out().endsWith("host-image: PASS\n"), r.out());
        // Standard output is the image's UART only; cca's summary goes to standard error.
        assertTrue(r.err().contains("ended:        the image powered the system off"), r.err());
        assertTrue(r.out().startsWith("host-image: an NS-EL2 host"), r.out());
    }

    @Test
    void rawBinaryNeedsALoadAddress(@TempDir Path dir) throws IOException {
        Path raw = dir.resolve("raw.bin");
        Files.write(raw, new byte[] {0x1F, 0x20, 0x03, (byte) 0xD5}); // NOP
        CliRunner r = CliRunner.run("run", "--host-image", raw.toString());
        assertEquals(RunCommand.EXIT_ERROR, r.exit());
        assertTrue(r.err().contains("give the load address of a raw binary as FILE@ADDR"), r.err());
    }

    @Test
    void rawBinaryOutsideDramIsRefused(@TempDir Path dir) throws IOException {
        Path raw = dir.resolve("raw.bin");
        Files.write(raw, new byte[] {0x1F, 0x20, 0x03, (byte) 0xD5});
        CliRunner r = CliRunner.run("run", "--host-image", raw + "@0x1000");
        assertEquals(RunCommand.EXIT_ERROR, r.exit());
        assertTrue(r.err().contains("does not fit in DRAM"), r.err());
    }

    @Test
    void anImageWaitingForeverHaltsWithItsOwnStatus(@TempDir Path dir) throws IOException {
        Path raw = dir.resolve("wfi.bin");
        // wfi; b .-4 with interrupts masked and nothing to raise one
        Files.write(raw, new byte[] {0x7F, 0x20, 0x03, (byte) 0xD5, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x17});
        CliRunner r = CliRunner.run("run", "--host-image", raw + "@0x88000000", "--timeout", "60s");
        assertEquals(HostImageCommand.EXIT_HALTED, r.exit(), r.err());
        assertTrue(r.err().contains("every PE is waiting for an interrupt"), r.err());
    }

    @Test
    void instructionLimitStopsTheImage(@TempDir Path dir) throws IOException {
        Path raw = dir.resolve("loop.bin");
        Files.write(raw, new byte[] {0x00, 0x00, 0x00, 0x14}); // b .
        CliRunner r = CliRunner.run("run", "--host-image", raw + "@0x88000000", "--max-instructions", "1000000");
        assertEquals(RunCommand.EXIT_LIMIT, r.exit(), r.err());
        assertTrue(r.err().contains("instruction limit reached"), r.err());
    }

    /** Little-endian bytes of A64 instruction words. */
    private static byte[] code(int... words) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * words.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int w : words) {
            b.putInt(w);
        }
        return b.array();
    }

    @Test
    void systemResetRestartsTheImageWithDramKept(@TempDir Path dir) throws IOException {
        // Counts its boots in DRAM outside the image (0x8810_0000): PSCI SYSTEM_RESET until the third boot, then
        // SYSTEM_OFF. The count survives only if a reset keeps DRAM; the image runs again only if it is reloaded
        // and PE 0 restarted at its entry.
        Path raw = dir.resolve("reset.bin");
        Files.write(raw, code(
                0xD2B10201, // movz x1, #0x8810, lsl #16
                0xF9400022, // ldr  x2, [x1]
                0x91000442, // add  x2, x2, #1
                0xF9000022, // str  x2, [x1]
                0xF1000C5F, // cmp  x2, #3
                0x54000080, // b.eq off
                0xD2800120, // movz x0, #9            PSCI SYSTEM_RESET
                0xF2B08000, // movk x0, #0x8400, lsl #16
                0xD4000003, // smc  #0
                0xD2800100, // off: movz x0, #8       PSCI SYSTEM_OFF
                0xF2B08000, // movk x0, #0x8400, lsl #16
                0xD4000003, // smc  #0
                0x14000000)); // b .
        CliRunner r = CliRunner.run("run", "--host-image", raw + "@0x88000000", "--timeout", "60s");
        assertEquals(RunCommand.EXIT_OK, r.exit(), r.err());
        assertTrue(r.err().contains("resets:       2"), r.err());
    }

    @Test
    void committedImageMatchesItsSource(@TempDir Path out) throws IOException, InterruptedException {
        boolean haveAs = new ProcessBuilder("sh", "-c", "command -v aarch64-linux-gnu-as").start().waitFor() == 0;
        Assumptions.assumeTrue(haveAs,
                "aarch64-linux-gnu-as not installed (apt-get install binutils-aarch64-linux-gnu): not checked");
        Process p = new ProcessBuilder("sh", DIR.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        assertArrayEquals(Files.readAllBytes(DIR.resolve("host-image.elf")),
                Files.readAllBytes(out.resolve("host-image.elf")),
                "src-test-images/host-image/host-image.elf is stale: run src-test-images/host-image/build.sh");
    }
}
