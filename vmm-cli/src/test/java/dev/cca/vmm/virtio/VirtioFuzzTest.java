package dev.cca.vmm.virtio;

import dev.cca.vmm.MemoryMap;
import dev.cca.vmm.pci.PciDevice;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static dev.cca.vmm.virtio.VirtioPciDevice.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Random guests against each virtio device: random descriptor chains (addresses inside, at the edge of and
 * outside RAM, random lengths, flags and next indices, loops, indirect tables, available indices that jump), and
 * random configuration-space and BAR accesses. No exception may escape the device, and the guest sees either
 * well-formed used-ring entries or DEVICE_NEEDS_RESET.
 */
class VirtioFuzzTest {
    private static final int RAM_SIZE = 2 << 20;
    private static final Path DISK;
    private static final Path SHARE;

    static {
        try {
            DISK = Files.createTempFile("cca-fuzz", ".img");
            Files.write(DISK, new byte[64 * 512]);
            DISK.toFile().deleteOnExit();
            SHARE = Files.createTempDirectory("cca-fuzz-9p");
            SHARE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static VirtioDevice device(int kind) {
        try {
            switch (kind) {
                case 0: return new VirtioBlk(DISK, false);
                case 1: return new VirtioBlk(DISK, true);
                case 2: return new VirtioRng();
                case 3: return new Virtio9p(SHARE, "fuzz");
                default: return new VirtioConsole(new ByteArrayOutputStream());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long randomAddress(Random r) {
        switch (r.nextInt(6)) {
            case 0: return Driver.DATA + r.nextInt(0x10000);
            case 1: return Driver.RAM + RAM_SIZE - r.nextInt(64);          // at the end of RAM
            case 2: return Driver.RAM - r.nextInt(64);                      // just below RAM
            case 3: return r.nextLong();                                    // anywhere
            case 4: return Driver.QUEUES + r.nextInt(0x8000);               // the rings themselves
            default: return -1L - r.nextInt(16);                            // wraps around
        }
    }

    private static int randomLength(Random r) {
        switch (r.nextInt(4)) {
            case 0: return r.nextInt(32);
            case 1: return 512 * (1 + r.nextInt(8));
            case 2: return r.nextInt();
            default: return 16 * r.nextInt(8);
        }
    }

    @Property(tries = 400)
    void randomDescriptorChainsGiveErrorStatusesOrAReset(@ForAll @IntRange(min = 0, max = 4) int kind,
                                                         @ForAll long seed) {
        Random r = new Random(seed);
        ByteRam mem = new ByteRam(Driver.RAM, RAM_SIZE, null);
        Driver d = new Driver(device(kind), mem, false);
        int queueSize = 1 << r.nextInt(7);
        assertTrue(d.init(F_VERSION_1 | F_RING_INDIRECT_DESC | (d.offered() & VirtioBlk.F_RO), queueSize));
        int queues = (int) d.common(NUM_QUEUES, 2);
        int kicks = 0;
        boolean wellFormed = r.nextBoolean(); // half the guests send sane chains of garbage requests
        for (int round = 0; round < 1 + r.nextInt(8); round++) {
            int q = r.nextInt(queues);
            int size = Math.max(1, d.sizes[q]);
            int chain = 1 + r.nextInt(Math.min(size, 4));
            for (int i = 0; i < size; i++) {
                if (wellFormed) {
                    // A chain of sane buffers with random contents (readable, then writable): the device parses
                    // garbage requests and answers with its error statuses.
                    long addr = Driver.DATA + 0x1000L * i;
                    byte[] junk = new byte[16];
                    r.nextBytes(junk);
                    if (r.nextBoolean()) {
                        junk[0] = (byte) new int[] {0, 1, 4, 8}[r.nextInt(4)]; // a known blk type
                        junk[8] = (byte) r.nextInt(80);                       // a sector near the end
                        java.util.Arrays.fill(junk, 9, 16, (byte) 0);
                    }
                    mem.write(addr, junk, 0, 16);
                    int last = chain - 1;
                    int flags = (i < last ? Virtqueue.DESC_F_NEXT : 0) | (i > 0 && i >= last - r.nextInt(2)
                            ? Virtqueue.DESC_F_WRITE : 0);
                    d.desc(q, i, addr, i == 0 ? 16 : new int[] {1, 512, 1024, 13}[r.nextInt(4)], flags, i + 1);
                    continue;
                }
                int flags = r.nextInt(8);
                int next = r.nextInt(4) == 0 ? r.nextInt(0x10000) : r.nextInt(size + 1);
                d.desc(q, i, randomAddress(r), randomLength(r), flags, next);
            }
            // Sometimes an indirect table in RAM full of random descriptors.
            if (r.nextBoolean()) {
                for (int i = 0; i < 8; i++) {
                    long e = Driver.DATA + 0x20000 + 16L * i;
                    mem.write(e, 8, randomAddress(r));
                    mem.write(e + 8, 4, randomLength(r));
                    mem.write(e + 12, 2, r.nextInt(8));
                    mem.write(e + 14, 2, r.nextInt(10));
                }
            }
            if (!wellFormed && r.nextInt(5) == 0) {
                d.availIdx[q] = r.nextInt(0x10000); // the driver's index jumps
            }
            d.kick(q, wellFormed ? 0 : r.nextInt(4) == 0 ? r.nextInt(0x10000) : r.nextInt(size));
            kicks++;
        }
        int status = d.status();
        net.jqwik.api.statistics.Statistics.collect(d.dev.device().name(),
                (status & STATUS_NEEDS_RESET) != 0 ? "needs reset" : "served");
        if ((status & STATUS_NEEDS_RESET) == 0) {
            for (int q = 0; q < queues; q++) {
                int used = d.usedIdx(q);
                assertTrue(used <= kicks * Math.max(1, d.sizes[q]), "used index " + used);
                for (int i = 0; i < Math.min(used, d.sizes[q]); i++) {
                    long[] e = d.used(q, i);
                    assertTrue(e[0] < d.sizes[q], "used id " + e[0] + " is a descriptor index");
                }
            }
        } else {
            assertEquals(ISR_CONFIG, d.isr() & ISR_CONFIG, "a reset is announced by a configuration interrupt");
        }
    }

    @Property(tries = 400)
    void randomConfigurationAndBarAccessesNeverThrow(@ForAll @IntRange(min = 0, max = 4) int kind,
                                                     @ForAll long seed) {
        Random r = new Random(seed);
        ByteRam mem = new ByteRam(Driver.RAM, RAM_SIZE, null);
        Driver d = new Driver(device(kind), mem, r.nextBoolean(), r.nextBoolean());
        if (r.nextBoolean()) {
            d.init(r.nextLong(), 1 << r.nextInt(8));
        }
        int[] sizes = {1, 2, 4, 8};
        for (int i = 0; i < 300; i++) {
            int size = sizes[r.nextInt(4)];
            long addr;
            switch (r.nextInt(5)) {
                case 0: addr = MemoryMap.PCI_ECAM + r.nextInt(0x100); break;
                case 1: addr = MemoryMap.PCI_ECAM + r.nextInt((int) MemoryMap.PCI_ECAM_SIZE); break;
                case 2: addr = d.bar + r.nextInt(COMMON_SIZE + 8); break;
                case 3: addr = d.bar + r.nextInt(BAR_SIZE); break;
                default: addr = d.msixBar + r.nextInt(MSIX_BAR_SIZE); break; // the MSI-X table and PBA
            }
            if ((addr == MemoryMap.PCI_ECAM + PciDevice.BAR0 || addr == MemoryMap.PCI_ECAM + PciDevice.BAR0 + 4)
                    && r.nextInt(8) != 0) {
                continue; // mostly keep BAR0 where the test can reach it
            }
            if (r.nextBoolean()) {
                d.bus.read(addr, size);
            } else {
                long v = r.nextInt(3) == 0 ? r.nextInt(16) : r.nextLong();
                d.bus.write(addr, size, v);
            }
        }
    }
}
