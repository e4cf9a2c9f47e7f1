package dev.cca.vmm;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `cca measure` predicts offline the RIM that `cca run` then reads from the RMM. */
class MeasureCommandTest {
    /** The RIM that cca measure prints, or that cca run's summary (on standard error) shows. */
    private static String rim(CliRunner r) {
        Matcher m = Pattern.compile("RIM \\(SHA-256\\): ([0-9a-f]{64})").matcher(r.out() + r.err());
        assertTrue(m.find(), r.out() + r.err());
        return m.group(1);
    }

    @Test
    void predictionOfTheDefaultGuestMatchesTheRimOfARealRun() {
        CliRunner predicted = CliRunner.run("measure");
        CliRunner run = CliRunner.run("run");
        assertEquals(0, predicted.exit(), predicted.err());
        assertEquals(0, run.exit(), run.err());
        assertEquals(rim(run), rim(predicted));
    }

    @Test
    void predictionFollowsTheMemorySizeAndIpaWidthLikeTheRun() {
        String image = RunCommandTest.HELLO.toString();
        for (String mem : new String[] {"64", "3", "4G"}) {
            CliRunner predicted = CliRunner.run("measure", "-k", image, "-m", mem);
            CliRunner run = CliRunner.run("run", "--realm", "-k", image, "-m", mem);
            assertEquals(0, run.exit(), run.err());
            assertEquals(rim(run), rim(predicted), "--mem " + mem);
        }
        assertNotEquals(rim(CliRunner.run("measure", "-m", "64")), rim(CliRunner.run("measure", "-m", "66")),
                "the RIPAS of RAM is measured");
    }

    @Test
    void predictionCoversTheDeviceTreeAndItsAddressInX0() {
        String image = RunCommandTest.HELLO.toString();
        String[][] variants = {{"-c", "2"}, {"--append", "console=ttyAMA0 quiet"}};
        for (String[] v : variants) {
            String[] m = {"measure", "-k", image, v[0], v[1]};
            String[] r = {"run", "--realm", "-k", image, v[0], v[1]};
            CliRunner run = CliRunner.run(r);
            assertEquals(0, run.exit(), run.err());
            assertEquals(rim(run), rim(CliRunner.run(m)), String.join(" ", v));
            assertNotEquals(rim(CliRunner.run("measure", "-k", image)), rim(run),
                    "the device tree (vCPUs, command line) is measured: " + String.join(" ", v));
        }
    }

    @Test
    void stepsListEveryMeasuredOperationEndingWithTheRim() {
        CliRunner r = CliRunner.run("measure", "--steps");
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertTrue(lines[0].endsWith("REALM_CREATE s2sz=33 num_bps=5 num_wps=3 pmu_num_ctrs=6"), lines[0]);
        assertTrue(r.out().contains("DATA_CREATE 0x40000000"), r.out());
        assertTrue(r.out().contains("REC_CREATE vCPU 0 pc=0x40000000"), r.out());
        assertTrue(r.out().contains("RTT_INIT_RIPAS 0x40200000-0x40400000 (level 2)"), r.out());
        String last = lines[lines.length - 2];
        assertEquals(rim(r), last.substring(0, 64), "the RIM is the one after the last step");
    }

    @Test
    void badImageIsAOneLineError() {
        CliRunner r = CliRunner.run("measure", "-k", "/nonexistent/guest.elf");
        assertEquals(1, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
