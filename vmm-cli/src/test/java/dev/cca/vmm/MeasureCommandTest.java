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

    static final String RPV = "00112233445566778899aabbccddeeff".repeat(4);

    @Test
    void sha512RealmReportsA64ByteRimThatMeasurePredicts() {
        CliRunner run = CliRunner.run("run", "--measurement-algo", "sha512", "--realm-pv", RPV);
        assertEquals(0, run.exit(), run.err());
        Matcher m = Pattern.compile("RIM \\(SHA-512\\): ([0-9a-f]{128})\\n").matcher(run.err());
        assertTrue(m.find(), run.err());
        Matcher guest = Pattern.compile("RIM: ([0-9a-f]+)\\n").matcher(run.out());
        assertTrue(guest.find(), run.out());
        assertEquals(m.group(1), guest.group(1), "the realm reads the same 64-byte RIM (RSI_MEASUREMENT_READ)");
        assertTrue(run.out().contains("Hash algorithm: SHA-512"), run.out());
        CliRunner predicted = CliRunner.run("measure", "--measurement-algo", "sha512", "--realm-pv", RPV);
        assertEquals(0, predicted.exit(), predicted.err());
        assertTrue(predicted.out().contains("RIM (SHA-512): " + m.group(1) + "\n"), predicted.out());
        assertNotEquals(rim(CliRunner.run("measure")).substring(0, 64), m.group(1).substring(0, 64));
    }

    @Test
    void realmOptionsNeedTheRealmConfigProfileAndARealm() {
        CliRunner v12 = CliRunner.run("run", "--abi-profile", "v12", "--measurement-algo", "sha512");
        assertEquals(1, v12.exit(), v12.err());
        assertTrue(v12.err().contains("cannot configure a realm"), v12.err());
        CliRunner normal = CliRunner.run("run", "-k", RunCommandTest.HELLO.toString(), "--realm-pv", "01");
        assertEquals(2, normal.exit(), normal.err());
        assertTrue(normal.err().contains("add --realm"), normal.err());
        CliRunner tooLong = CliRunner.run("measure", "--realm-pv", RPV + "00");
        assertEquals(2, tooLong.exit(), tooLong.err());
        assertTrue(tooLong.err().contains("--realm-pv: 65 bytes given, at most 64"), tooLong.err());
        CliRunner odd = CliRunner.run("measure", "--realm-pv", "abc");
        assertEquals(2, odd.exit(), odd.err());
        CliRunner algo = CliRunner.run("measure", "--measurement-algo", "md5");
        assertEquals(2, algo.exit(), algo.err());
    }

    @Test
    void badImageIsAOneLineError() {
        CliRunner r = CliRunner.run("measure", "-k", "/nonexistent/guest.elf");
        assertEquals(1, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
