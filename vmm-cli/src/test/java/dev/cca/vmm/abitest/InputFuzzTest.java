package dev.cca.vmm.abitest;

import dev.cca.rmm.attest.Cose;
import dev.cca.rmm.attest.P384;
import dev.cca.rmm.attest.RealmToken;
import dev.cca.rmm.el3.PlatformAttestation;
import dev.cca.vmm.fdt.DeviceTree;
import dev.cca.vmm.fdt.FdtCheck;
import dev.cca.vmm.image.ImageFormatException;
import dev.cca.vmm.image.ImageLoader;
import dev.cca.vmm.token.CcaToken;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutated inputs at every parser cca exposes to files: guest images (ELF, arm64 Image, gzip), device trees,
 * attestation tokens, scenario JSON and abi-test expressions. Each mutant is either accepted or refused with the
 * parser's own error (ImageFormatException, a FdtCheck problem, CcaToken.FormatException, ScenarioException), never
 * another exception, and quickly. Sized by {@code fuzz.mutants} (default 20,000 per kind); {@code fuzz.seed}
 * replays.
 */
@Tag("fuzz")
class InputFuzzTest {
    @TempDir
    Path dir;

    @Test
    void mutatedImagesDeviceTreesTokensAndScenariosAreAcceptedOrRefusedInWords() throws Exception {
        long n = Long.getLong("fuzz.mutants", 20_000L);
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random r = new Random(seed);
        long start = System.nanoTime();
        byte[] elf = Files.readAllBytes(Path.of("..", "src-test-images", "hello-realm", "hello-realm.elf"));
        byte[] image = arm64Image();
        byte[] dtb = DeviceTree.build(new DeviceTree.Config(128L << 20, 2, true, "console=ttyAMA0", 0x4800_0000L,
                0x4810_0000L));
        byte[] token = token();
        List<byte[]> scenarios = new ArrayList<>();
        try (var s = Files.list(Path.of("..", "abi-scenarios"))) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".json")).sorted()::iterator) {
                scenarios.add(Files.readAllBytes(p));
            }
        }
        long[] counts = new long[6];
        long accepted = 0;
        for (long i = 0; i < n; i++) {
            int kind = (int) (i % 6);
            byte[] m;
            String what;
            try {
                switch (kind) {
                    case 0:
                    case 1: {
                        byte[] base = kind == 0 ? elf : image;
                        m = mutate(r, r.nextInt(8) == 0 ? gzip(base) : base);
                        what = "image";
                        try {
                            ImageLoader.parse("mutant", m, 0x4000_0000L);
                            accepted++;
                        } catch (ImageFormatException e) {
                            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
                        }
                        break;
                    }
                    case 2:
                        m = mutate(r, dtb);
                        what = "device tree";
                        if (FdtCheck.problem(m) == null) {
                            accepted++;
                        }
                        break;
                    case 3:
                        m = mutate(r, token);
                        what = "token";
                        try {
                            CcaToken.parse(m);
                            accepted++;
                        } catch (CcaToken.FormatException e) {
                            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
                        }
                        break;
                    case 4: {
                        m = mutate(r, scenarios.get(r.nextInt(scenarios.size())));
                        what = "scenario JSON";
                        Path f = dir.resolve("s.json");
                        Files.write(f, m);
                        for (Scenarios.Loaded l : Scenarios.load(f)) {
                            if (l.json() != null) {
                                try {
                                    Scenarios.parse(l.json(), l.where());
                                    accepted++;
                                } catch (ScenarioException e) {
                                    assertTrue(e.getMessage() != null);
                                }
                            }
                        }
                        break;
                    }
                    default: {
                        String e = expression(r);
                        m = e.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                        what = "expression";
                        try {
                            Expr.eval(e, java.util.Map.of("x", 5L), "fuzz");
                            accepted++;
                        } catch (ScenarioException ex) {
                            assertTrue(ex.getMessage().startsWith("fuzz: "));
                        }
                        break;
                    }
                }
            } catch (RuntimeException | AssertionError | StackOverflowError | OutOfMemoryError e) {
                throw new AssertionError(String.format("input fuzz finding: seed %d, mutant %d (kind %d): %s -- "
                        + "replay with -Dfuzz.seed=%d", seed, i, kind, e, seed), e);
            }
            counts[kind]++;
        }
        System.out.printf(Locale.ROOT, "input fuzz: seed %d: %d mutants (%d ELF, %d arm64 Image, %d DTB, %d token, "
                        + "%d scenario JSON, %d expressions), %d accepted, %.1f s%n", seed, n, counts[0], counts[1],
                counts[2], counts[3], counts[4], counts[5], accepted, (System.nanoTime() - start) / 1e9);
    }

    /** Bit flips, byte overwrites with boundary values, truncation, duplication and insertion. */
    static byte[] mutate(Random r, byte[] b) {
        byte[] m = b.clone();
        int ops = 1 + r.nextInt(8);
        for (int k = 0; k < ops && m.length > 0; k++) {
            int at = r.nextInt(m.length);
            switch (r.nextInt(6)) {
                case 0 -> m[at] ^= (byte) (1 << r.nextInt(8));
                case 1 -> m[at] = (byte) new int[] {0, 0xFF, 0x7F, 0x80, 0x01}[r.nextInt(5)];
                case 2 -> {
                    for (int i = 0; i < 8 && at + i < m.length; i++) {
                        m[at + i] = (byte) (r.nextBoolean() ? 0xFF : 0x7F);
                    }
                }
                case 3 -> m = java.util.Arrays.copyOf(m, at);
                case 4 -> {
                    byte[] x = new byte[m.length + Math.min(at, 64)];
                    System.arraycopy(m, 0, x, 0, at);
                    System.arraycopy(m, at - Math.min(at, 64), x, at, Math.min(at, 64));
                    System.arraycopy(m, at, x, at + Math.min(at, 64), m.length - at);
                    m = x;
                }
                default -> m[at] = (byte) r.nextInt(256);
            }
        }
        return m;
    }

    static String expression(Random r) {
        String[] atoms = {"1", "0x10", "$x", "$y", "KVM_VM_TYPE_ARM_REALM", "NOPE", "-1", "0xffffffffffffffff",
            "99999999999999999999", "(", ")", "|", "&", "<<", ">>", "+", "-", "~", " "};
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(30);
        if (r.nextInt(50) == 0) {
            n = 2000; // deep nesting
        }
        for (int i = 0; i < n; i++) {
            sb.append(n == 2000 ? "(" : atoms[r.nextInt(atoms.length)]);
        }
        return sb.toString();
    }

    static byte[] gzip(byte[] b) throws java.io.IOException {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(o)) {
            g.write(b);
        }
        return o.toByteArray();
    }

    /** A small arm64 Image: the 64-byte header (magic "ARM\x64" at 0x38) and a few instructions. */
    static byte[] arm64Image() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x14000010).putLong(8, 0).putLong(16, 4096).putLong(24, 0xA).putInt(0x38, 0x644d5241);
        return b.array();
    }

    static byte[] token() throws Exception {
        PlatformAttestation pa = PlatformAttestation.generated();
        byte[] coseKey = Cose.coseKey(P384.publicKey(pa.realmAttestationKey()));
        byte[] plat = pa.platformToken(MessageDigest.getInstance("SHA-256").digest(coseKey));
        byte[] claims = RealmToken.claims(new byte[64], new byte[64], coseKey, 0, new byte[5][64], 32);
        return RealmToken.ccaToken(plat, Cose.sign1(claims, pa.realmAttestationKey()));
    }

}
