package dev.cca.vmm.virtio;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static dev.cca.vmm.virtio.VirtioPciDevice.F_VERSION_1;
import static org.junit.jupiter.api.Assertions.*;

class VirtioRngConsoleTest {
    @Test
    void rngFillsTheWritableBuffer() {
        Driver d = new Driver(new VirtioRng(), new ByteRam(Driver.RAM, 4 << 20, null), false);
        assertTrue(d.init(F_VERSION_1, 64));
        d.desc(0, 0, Driver.DATA, 64, Virtqueue.DESC_F_WRITE, 0);
        d.kick(0, 0);
        assertArrayEquals(new long[] {0, 64}, d.used(0, 0));
        byte[] b = new byte[64];
        d.mem.read(Driver.DATA, b, 0, 64);
        assertFalse(java.util.Arrays.equals(new byte[64], b), "64 random bytes are not all zero");
    }

    @Test
    void consoleTransmitsToTheStreamAndDeliversInputToPostedBuffers() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VirtioConsole con = new VirtioConsole(out);
        Driver d = new Driver(con, new ByteRam(Driver.RAM, 4 << 20, null), false);
        con.onInput(() -> d.dev.deliver(VirtioConsole.RECEIVEQ));
        assertTrue(d.init(F_VERSION_1, 64));
        byte[] msg = "hello hvc0\n".getBytes(StandardCharsets.US_ASCII);
        d.mem.write(Driver.DATA, msg, 0, msg.length);
        d.desc(1, 0, Driver.DATA, msg.length, 0, 0);
        d.kick(1, 0);
        assertEquals("hello hvc0\n", out.toString(StandardCharsets.US_ASCII));
        d.desc(0, 0, Driver.DATA + 0x1000, 16, Virtqueue.DESC_F_WRITE, 0);
        d.kick(0, 0);
        assertEquals(0, d.usedIdx(0), "no input yet: the buffer stays with the device");
        con.input("ls\n".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(new long[] {0, 3}, d.used(0, 0));
        assertEquals('l', d.mem.read(Driver.DATA + 0x1000, 1));
    }
}
