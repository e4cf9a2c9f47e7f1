package dev.cca.vmm.virtio;

import dev.cca.vmm.MemoryMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

import static dev.cca.vmm.virtio.VirtioPciDevice.*;
import static org.junit.jupiter.api.Assertions.*;

class VirtioBlkTest {
    @TempDir
    Path tmp;

    private Driver driver(boolean ro, BitSet shared) throws Exception {
        Path img = tmp.resolve("disk.img");
        byte[] content = new byte[64 * 512];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i / 512);
        }
        Files.write(img, content);
        Driver d = new Driver(new VirtioBlk(img, ro), new ByteRam(Driver.RAM, 4 << 20, shared), shared != null);
        return d;
    }

    /** header at DATA, data at DATA + 0x1000, status at DATA + 0x3000. */
    private int request(Driver d, int type, long sector, int dataLen, boolean dataWritable) {
        d.mem.write(Driver.DATA, 4, type);
        d.mem.write(Driver.DATA + 8, 8, sector);
        d.mem.write(Driver.DATA + 0x3000, 1, 0xEE);
        int next = 1;
        d.desc(0, 0, Driver.DATA, 16, Virtqueue.DESC_F_NEXT, 1);
        if (dataLen > 0) {
            d.desc(0, 1, Driver.DATA + 0x1000, dataLen, Virtqueue.DESC_F_NEXT | (dataWritable ? Virtqueue.DESC_F_WRITE : 0), 2);
            next = 2;
        }
        d.desc(0, next, Driver.DATA + 0x3000, 1, Virtqueue.DESC_F_WRITE, 0);
        d.kick(0, 0);
        return (int) d.mem.read(Driver.DATA + 0x3000, 1);
    }

    @Test
    void readsSectorsOfTheImageAndInterruptsThroughIntx() throws Exception {
        Driver d = driver(false, null);
        assertTrue(d.init(F_VERSION_1, 128));
        assertEquals(64, d.bus.read(d.bar + DEVICE_OFF, 8), "capacity in sectors");
        assertEquals(VirtioBlk.S_OK, request(d, VirtioBlk.T_IN, 5, 1024, true));
        assertEquals(5, d.mem.read(Driver.DATA + 0x1000, 1));
        assertEquals(6, d.mem.read(Driver.DATA + 0x1000 + 512, 1));
        assertEquals(1, d.usedIdx(0));
        assertArrayEquals(new long[] {0, 1025}, d.used(0, 0));
        assertTrue(d.level[MemoryMap.SPI_PCI_INTX], "slot 0 INTA is the first INTx SPI");
        assertEquals(ISR_QUEUE, d.isr());
        assertFalse(d.level[MemoryMap.SPI_PCI_INTX], "reading the ISR lowers the line");
    }

    @Test
    void writesReachTheFileAndFlushSucceeds() throws Exception {
        Driver d = driver(false, null);
        assertTrue(d.init(F_VERSION_1 | VirtioBlk.F_FLUSH, 128));
        byte[] data = new byte[512];
        java.util.Arrays.fill(data, (byte) 0x5A);
        d.mem.write(Driver.DATA + 0x1000, data, 0, 512);
        assertEquals(VirtioBlk.S_OK, request(d, VirtioBlk.T_OUT, 3, 512, false));
        assertEquals(VirtioBlk.S_OK, request(d, VirtioBlk.T_FLUSH, 0, 0, false));
        assertEquals(0x5A, Files.readAllBytes(tmp.resolve("disk.img"))[3 * 512 + 7]);
    }

    @Test
    void readOnlyDiskOffersRoAndFailsWritesWithIoerr() throws Exception {
        Driver d = driver(true, null);
        assertNotEquals(0, d.offered() & VirtioBlk.F_RO);
        assertTrue(d.init(F_VERSION_1 | VirtioBlk.F_RO, 128));
        assertEquals(VirtioBlk.S_IOERR, request(d, VirtioBlk.T_OUT, 3, 512, false));
        assertEquals(3, Files.readAllBytes(tmp.resolve("disk.img"))[3 * 512 + 7]);
    }

    @Test
    void requestPastTheEndGetsIoerrAndUnknownTypeUnsupp() throws Exception {
        Driver d = driver(false, null);
        assertTrue(d.init(F_VERSION_1, 128));
        assertEquals(VirtioBlk.S_IOERR, request(d, VirtioBlk.T_IN, 63, 1024, true));
        assertEquals(VirtioBlk.S_IOERR, request(d, VirtioBlk.T_IN, -1L, 512, true));
        assertEquals(VirtioBlk.S_UNSUPP, request(d, 77, 0, 0, false));
        assertEquals(0, d.status() & STATUS_NEEDS_RESET);
    }

    @Test
    void loopingChainPutsTheDeviceInNeedsResetUntilTheDriverResetsIt() throws Exception {
        Driver d = driver(false, null);
        assertTrue(d.init(F_VERSION_1, 128));
        d.desc(0, 0, Driver.DATA, 16, Virtqueue.DESC_F_NEXT, 1);
        d.desc(0, 1, Driver.DATA + 0x1000, 512, Virtqueue.DESC_F_NEXT, 0); // back to 0
        d.kick(0, 0);
        assertNotEquals(0, d.status() & STATUS_NEEDS_RESET);
        assertEquals(ISR_CONFIG, d.isr() & ISR_CONFIG);
        assertEquals(0, d.usedIdx(0));
        assertTrue(d.init(F_VERSION_1, 128), "a reset brings the device back");
        d.availIdx[0] = 0;
        assertEquals(VirtioBlk.S_OK, request(d, VirtioBlk.T_IN, 0, 512, true));
    }

    @Test
    void bufferOutsideGuestRamPutsTheDeviceInNeedsReset() throws Exception {
        Driver d = driver(false, null);
        assertTrue(d.init(F_VERSION_1, 128));
        d.desc(0, 0, Driver.DATA, 16, Virtqueue.DESC_F_NEXT, 1);
        d.desc(0, 1, 0x1000, 512, Virtqueue.DESC_F_NEXT | Virtqueue.DESC_F_WRITE, 2);
        d.desc(0, 2, Driver.DATA + 0x3000, 1, Virtqueue.DESC_F_WRITE, 0);
        d.kick(0, 0);
        assertNotEquals(0, d.status() & STATUS_NEEDS_RESET);
    }

    @Test
    void realmDeviceOffersAccessPlatformAndRefusesDriversWithoutIt() throws Exception {
        BitSet shared = new BitSet();
        shared.set(0, 1024);
        Driver d = driver(false, shared);
        assertNotEquals(0, d.offered() & F_ACCESS_PLATFORM);
        assertFalse(d.init(F_VERSION_1, 128));
        assertTrue(d.init(F_VERSION_1 | F_ACCESS_PLATFORM, 128));
        assertEquals(VirtioBlk.S_OK, request(d, VirtioBlk.T_IN, 1, 512, true));
    }

    @Test
    void realmDeviceNeverTouchesMemoryTheRealmDidNotShare() throws Exception {
        BitSet shared = new BitSet();
        shared.set(0, 1024);
        Driver d = driver(false, shared);
        assertTrue(d.init(F_VERSION_1 | F_ACCESS_PLATFORM, 128));
        int page = (int) ((Driver.DATA + 0x1000 - Driver.RAM) >>> 12);
        shared.clear(page);
        d.mem.ram[(int) (Driver.DATA + 0x1000 - Driver.RAM)] = 0x77;
        request(d, VirtioBlk.T_IN, 1, 512, true);
        assertNotEquals(0, d.status() & STATUS_NEEDS_RESET);
        assertEquals(0x77, d.mem.ram[(int) (Driver.DATA + 0x1000 - Driver.RAM)], "the private page is untouched");
    }

    @Test
    void normalVmDeviceDoesNotOfferAccessPlatformAndNeedsVersion1() throws Exception {
        Driver d = driver(false, null);
        assertEquals(0, d.offered() & F_ACCESS_PLATFORM);
        assertNotEquals(0, d.offered() & F_VERSION_1);
        assertFalse(d.init(0, 128), "a legacy driver (no VERSION_1) is refused");
    }
}
