package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mem.PhysicalMemory;
import dev.cca.core.platform.Pl011;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The differential suite: each program of src-test-images/difftest runs on a bare machine laid out like QEMU's
 * virt board (RAM at 0x4000_0000, PL011 at 0x0900_0000, entry at EL1h with the MMU off, PSCI over HVC), and its
 * UART output must equal what qemu-system-aarch64 printed (golden/NAME.out, made by regen-golden.sh).
 */
class DifferentialSuiteTest {
    static final Path DIR = Path.of("..", "src-test-images", "difftest");
    static final long PSCI_SYSTEM_OFF = 0x8400_0008L;

    static Stream<String> programs() throws IOException {
        Path build = DIR.resolve("build");
        if (!Files.isDirectory(build)) {
            return Stream.empty();
        }
        try (Stream<Path> s = Files.list(build)) {
            List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".elf"))
                    .map(n -> n.substring(0, n.length() - 4)).sorted().collect(Collectors.toList());
            return names.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void outputMatchesQemu(String name) throws IOException {
        Path golden = DIR.resolve("golden").resolve(name + ".out");
        Assumptions.assumeTrue(Files.exists(golden), "no golden output for " + name + ": run regen-golden.sh");
        String expected = Files.readString(golden, StandardCharsets.UTF_8);
        String actual = run(Files.readAllBytes(DIR.resolve("build").resolve(name + ".elf")), 200_000_000L);
        if (!expected.equals(actual)) {
            String[] e = expected.split("\n", -1);
            String[] a = actual.split("\n", -1);
            for (int i = 0; i < Math.max(e.length, a.length); i++) {
                String el = i < e.length ? e[i] : "<end>";
                String al = i < a.length ? a[i] : "<end>";
                if (!el.equals(al)) {
                    fail(name + ": first difference at line " + (i + 1) + "\n  qemu:     " + el + "\n  emulator: " + al);
                }
            }
        }
        assertEquals(expected, actual);
    }

    /** Runs an ELF program as QEMU's virt board would and returns its UART output. */
    static String run(byte[] elf, long budget) {
        Machine m = new Machine(1);
        PhysicalMemory mem = m.memory;
        mem.addRam(0x4000_0000L, 128L << 20, "ram");
        ByteArrayOutputStream uart = new ByteArrayOutputStream();
        mem.addDevice(0x0900_0000L, 0x1000, new Pl011(uart));
        long entry = load(mem, elf);
        Cpu cpu = m.cpu(0);
        cpu.writeSysReg(SysRegs.SCR_EL3, SysRegs.SCR_NS | SysRegs.SCR_HCE | SysRegs.SCR_RW);
        cpu.sr[SysRegs.HCR_EL2] = SysRegs.HCR_RW;
        cpu.sr[SysRegs.SPSR_EL3] = 0x3C5;
        cpu.sr[SysRegs.ELR_EL3] = entry;
        cpu.eret();
        cpu.setBudget(budget);
        Cpu.StopReason r = cpu.runUntil(2, SecurityState.NON_SECURE);
        String out = uart.toString(StandardCharsets.ISO_8859_1);
        if (r != Cpu.StopReason.ARRIVED) {
            return out + "<emulator stopped: " + r + " at pc=" + Long.toHexString(cpu.pc) + ">\n";
        }
        if (cpu.x[0] != PSCI_SYSTEM_OFF) {
            return out + "<HVC to EL2 with x0=" + Long.toHexString(cpu.x[0]) + ", not PSCI SYSTEM_OFF>\n";
        }
        return out;
    }

    static long load(PhysicalMemory mem, byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        long phoff = b.getLong(32);
        int phentsize = b.getShort(54) & 0xFFFF;
        int phnum = b.getShort(56) & 0xFFFF;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) phoff + i * phentsize;
            if (b.getInt(ph) != 1) {
                continue;
            }
            long off = b.getLong(ph + 8);
            long paddr = b.getLong(ph + 24);
            long filesz = b.getLong(ph + 32);
            mem.writeBytes(paddr, elf, (int) off, (int) filesz);
        }
        return b.getLong(24);
    }
}
