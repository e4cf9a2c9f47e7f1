package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.cca.core.cpu.SysRegs.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The hwcaps Linux derives from the ID registers are the ones docs/cpu-features.md lists (its "Linux hwcaps"
 * line, which LinuxBootTest also compares with a booted guest's /proc/cpuinfo). The rules are those of Linux's
 * Documentation/arch/arm64/elf_hwcaps.rst, for every hwcap whose ID field this PE has, in Linux's order.
 */
class HwcapsTest {

    /** One hwcap: set when the field {@code reg[shift+3:shift]} is at least {@code min} (signed for FP/AdvSIMD). */
    private record Rule(String name, int reg, int shift, int min, boolean signed) {
        boolean holds(long[] sr) {
            long f = (sr[reg] >>> shift) & 0xF;
            long v = signed && f >= 8 ? f - 16 : f;
            return v >= min;
        }
    }

    private static Rule r(String name, int reg, int shift, int min) {
        return new Rule(name, reg, shift, min, false);
    }

    /** AT_HWCAP then AT_HWCAP2, in bit order (the order of the Features line). Null: not an ID field. */
    private static final List<Rule> RULES = List.of(
            new Rule("fp", ID_AA64PFR0_EL1, 16, 0, true),
            new Rule("asimd", ID_AA64PFR0_EL1, 20, 0, true),
            new Rule("evtstrm", -1, 0, 0, false),
            r("aes", ID_AA64ISAR0_EL1, 4, 1),
            r("pmull", ID_AA64ISAR0_EL1, 4, 2),
            r("sha1", ID_AA64ISAR0_EL1, 8, 1),
            r("sha2", ID_AA64ISAR0_EL1, 12, 1),
            r("crc32", ID_AA64ISAR0_EL1, 16, 1),
            r("atomics", ID_AA64ISAR0_EL1, 20, 2),
            new Rule("fphp", ID_AA64PFR0_EL1, 16, 1, true),
            new Rule("asimdhp", ID_AA64PFR0_EL1, 20, 1, true),
            new Rule("cpuid", -1, 0, 0, false),
            r("asimdrdm", ID_AA64ISAR0_EL1, 28, 1),
            r("jscvt", ID_AA64ISAR1_EL1, 12, 1),
            r("fcma", ID_AA64ISAR1_EL1, 16, 1),
            r("lrcpc", ID_AA64ISAR1_EL1, 20, 1),
            r("dcpop", ID_AA64ISAR1_EL1, 0, 1),
            r("sha3", ID_AA64ISAR0_EL1, 32, 1),
            r("sm3", ID_AA64ISAR0_EL1, 36, 1),
            r("sm4", ID_AA64ISAR0_EL1, 40, 1),
            r("asimddp", ID_AA64ISAR0_EL1, 44, 1),
            r("sha512", ID_AA64ISAR0_EL1, 12, 2),
            r("sve", ID_AA64PFR0_EL1, 32, 1),
            r("asimdfhm", ID_AA64ISAR0_EL1, 48, 1),
            r("dit", ID_AA64PFR0_EL1, 48, 1),
            r("uscat", ID_AA64MMFR2_EL1, 32, 1),
            r("ilrcpc", ID_AA64ISAR1_EL1, 20, 2),
            r("flagm", ID_AA64ISAR0_EL1, 52, 1),
            r("ssbs", ID_AA64PFR1_EL1, 4, 2),
            r("sb", ID_AA64ISAR1_EL1, 36, 1),
            r("paca", ID_AA64ISAR1_EL1, 4, 1),  // APA; API is checked below
            r("pacg", ID_AA64ISAR1_EL1, 24, 1), // GPA; GPI is checked below
            r("dcpodp", ID_AA64ISAR1_EL1, 0, 2),
            r("flagm2", ID_AA64ISAR0_EL1, 52, 2),
            r("frint", ID_AA64ISAR1_EL1, 32, 1),
            r("i8mm", ID_AA64ISAR1_EL1, 52, 1),
            r("bf16", ID_AA64ISAR1_EL1, 44, 1),
            r("dgh", ID_AA64ISAR1_EL1, 48, 1),
            r("rng", ID_AA64ISAR0_EL1, 60, 1),
            r("bti", ID_AA64PFR1_EL1, 0, 1),
            r("mte", ID_AA64PFR1_EL1, 8, 2),
            r("ecv", ID_AA64MMFR0_EL1, 60, 1),
            r("afp", ID_AA64MMFR1_EL1, 44, 1),
            r("rpres", ID_AA64ISAR2_EL1, 4, 1),
            r("mte3", ID_AA64PFR1_EL1, 8, 3),
            r("sme", ID_AA64PFR1_EL1, 24, 1),
            r("wfxt", ID_AA64ISAR2_EL1, 0, 2),
            r("ebf16", ID_AA64ISAR1_EL1, 44, 2),
            r("cssc", ID_AA64ISAR2_EL1, 52, 1),
            r("rprfm", ID_AA64ISAR2_EL1, 48, 1),
            r("mops", ID_AA64ISAR2_EL1, 16, 1),
            r("hbc", ID_AA64ISAR2_EL1, 20, 1),
            r("lrcpc3", ID_AA64ISAR1_EL1, 20, 3));

    /** The "Linux hwcaps" line of docs/cpu-features.md, split into names. */
    static List<String> documented() throws IOException {
        Path doc = Path.of("..", "docs", "cpu-features.md");
        Matcher m = Pattern.compile("(?m)^Linux hwcaps: `([a-z0-9 ]+)`$").matcher(Files.readString(doc));
        if (!m.find()) {
            throw new AssertionError(doc + " has no \"Linux hwcaps: `...`\" line");
        }
        return List.of(m.group(1).trim().split(" +"));
    }

    @Test
    void theHwcapsLinuxDerivesFromTheIdRegistersAreTheDocumentedOnes() throws IOException {
        Cpu c = new Machine(1).cpu(0);
        long[] sr = c.sr;
        List<String> derived = new ArrayList<>();
        for (Rule rule : RULES) {
            boolean on;
            if (rule.reg() < 0) {
                on = true; // evtstrm (Debian's kernel enables the timer event stream) and cpuid (always)
            } else if (rule.name().equals("paca")) {
                on = rule.holds(sr) || r("api", ID_AA64ISAR1_EL1, 8, 1).holds(sr);
            } else if (rule.name().equals("pacg")) {
                on = rule.holds(sr) || r("gpi", ID_AA64ISAR1_EL1, 28, 1).holds(sr);
            } else {
                on = rule.holds(sr);
            }
            if (on) {
                derived.add(rule.name());
            }
        }
        assertEquals(String.join(" ", documented()), String.join(" ", derived),
                "docs/cpu-features.md vs the hwcaps of IdRegisters");
    }
}
