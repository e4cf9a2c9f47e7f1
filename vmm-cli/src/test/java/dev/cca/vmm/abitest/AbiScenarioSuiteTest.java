package dev.cca.vmm.abitest;

import dev.cca.kvm.uapi.AbiProfile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The project's ABI scenario suite (abi-scenarios/*.json) passes under every ABI profile. */
class AbiScenarioSuiteTest {
    static Path suiteDir() {
        Path dir = Path.of(System.getProperty("user.dir")).resolve("../abi-scenarios").normalize();
        assertTrue(Files.isDirectory(dir), "the scenario suite is missing: " + dir);
        return dir;
    }

    @ParameterizedTest(name = "profile {0}")
    @EnumSource(AbiProfile.class)
    void everyScenarioPassesUnderTheProfile(AbiProfile profile) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        AbiTestSuite suite = new AbiTestSuite(profile, out, null);
        List<Path> files = Scenarios.files(List.of(suiteDir()));
        assertTrue(files.size() >= 8, "scenario files: " + files);
        suite.run(files);
        String report = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, suite.failed(), () -> "profile " + profile + ":\n" + report);
        assertTrue(suite.passed() >= 30, () -> "too few scenarios ran:\n" + report);
    }
}
