package dev.cca.vmm.virtio;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static dev.cca.vmm.virtio.NinePServer.*;
import static org.junit.jupiter.api.Assertions.*;

class NinePServerTest {
    @TempDir
    Path tmp;
    Path share;
    NinePServer s;

    /** A T-message under construction. */
    static final class T {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        final int type;

        T(int type) {
            this.type = type;
        }

        T u8(int v) {
            b.write(v);
            return this;
        }

        T u16(int v) {
            return u8(v).u8(v >>> 8);
        }

        T u32(long v) {
            return u16((int) v).u16((int) (v >>> 16));
        }

        T u64(long v) {
            return u32(v).u32(v >>> 32);
        }

        T str(String x) {
            byte[] y = x.getBytes(StandardCharsets.UTF_8);
            u16(y.length);
            b.write(y, 0, y.length);
            return this;
        }

        byte[] bytes() {
            byte[] body = b.toByteArray();
            ByteBuffer m = ByteBuffer.allocate(7 + body.length).order(ByteOrder.LITTLE_ENDIAN);
            m.putInt(7 + body.length).put((byte) type).putShort((short) 1).put(body);
            return m.array();
        }
    }

    private ByteBuffer call(T t) {
        byte[] r = s.handle(t.bytes(), 1 << 16);
        ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(r.length, b.getInt());
        return b;
    }

    /** The reply's body, after checking it is of type {@code type} + 1. */
    private ByteBuffer ok(T t) {
        ByteBuffer b = call(t);
        int type = b.get() & 0xFF;
        b.getShort();
        assertEquals(t.type + 1, type, type == RLERROR ? "Rlerror " + b.getInt() : "reply type");
        return b;
    }

    private int errno(T t) {
        ByteBuffer b = call(t);
        assertEquals(RLERROR, b.get() & 0xFF);
        b.getShort();
        return b.getInt();
    }

    @BeforeEach
    void attach() throws Exception {
        if (tmp == null) {
            tmp = Files.createTempDirectory("cca-9p");
        }
        share = Files.createDirectory(tmp.resolve("share"));
        Files.writeString(share.resolve("hello.txt"), "hello from the host\n");
        Files.createDirectory(share.resolve("sub"));
        Files.writeString(tmp.resolve("secret"), "outside the share\n");
        s = new NinePServer(share);
        ok(new T(TVERSION).u32(65536).str("9P2000.L"));
        ok(new T(TATTACH).u32(0).u32(-1).str("root").str("").u32(0));
    }

    private T walk(int fid, int newfid, String... names) {
        T t = new T(TWALK).u32(fid).u32(newfid).u16(names.length);
        for (String n : names) {
            t.str(n);
        }
        return t;
    }

    private String readAll(int fid) {
        ByteBuffer r = ok(new T(TREAD).u32(fid).u64(0).u32(4096));
        byte[] d = new byte[r.getInt()];
        r.get(d);
        return new String(d, StandardCharsets.UTF_8);
    }

    @Test
    void guestReadsAFileOfTheShare() {
        assertEquals(1, ok(walk(0, 1, "hello.txt")).getShort());
        ok(new T(TLOPEN).u32(1).u32(0));
        assertEquals("hello from the host\n", readAll(1));
        ok(new T(TCLUNK).u32(1));
        assertEquals(EBADF, errno(new T(TCLUNK).u32(1)));
    }

    @Test
    void fileTheGuestCreatesAppearsOnTheHost() throws Exception {
        ok(walk(0, 1, "sub"));
        ok(new T(TLCREATE).u32(1).str("new.txt").u32(2 | 0100).u32(0644).u32(0));
        byte[] data = "written by the guest\n".getBytes(StandardCharsets.UTF_8);
        T w = new T(TWRITE).u32(1).u64(0).u32(data.length);
        w.b.write(data, 0, data.length);
        assertEquals(data.length, ok(w).getInt());
        ok(new T(TFSYNC).u32(1).u32(0));
        assertEquals("written by the guest\n", Files.readString(share.resolve("sub/new.txt")));
    }

    @Test
    void dotDotAtTheRootStaysInTheShare() {
        ok(walk(0, 1, "..", "..", ".."));
        ok(new T(TLOPEN).u32(1).u32(0));
        ByteBuffer r = ok(new T(TREADDIR).u32(1).u64(0).u32(4096));
        int n = r.getInt();
        String listing = new String(r.array(), r.position(), n, StandardCharsets.ISO_8859_1);
        assertTrue(listing.contains("hello.txt"), "the root of the share, not its parent");
        assertFalse(listing.contains("secret"));
        assertEquals(1, ok(walk(0, 2, "..", "secret")).getShort(), "a partial walk: '..' only");
        assertEquals(EBADF, errno(new T(TLOPEN).u32(2).u32(0)), "and no new fid");
    }

    @Test
    void symlinksAreNeverFollowedByTheServer() throws Exception {
        Files.createSymbolicLink(share.resolve("escape"), tmp.resolve("secret"));
        Files.createSymbolicLink(share.resolve("updir"), tmp);
        ok(walk(0, 1, "escape")); // walking to a link is fine: the guest then reads it
        assertEquals(ELOOP, errno(new T(TLOPEN).u32(1).u32(0)));
        assertEquals(tmp.resolve("secret").toString(), readlink(1));
        assertEquals(1, ok(walk(0, 2, "updir", "secret")).getShort(), "no walking through a link");
        assertEquals(EBADF, errno(new T(TLOPEN).u32(2).u32(0)));
        ok(walk(0, 3, "updir"));
        assertEquals(ELOOP, errno(new T(TLCREATE).u32(3).str("planted").u32(0101).u32(0644).u32(0)));
        assertFalse(Files.exists(tmp.resolve("planted")));
        assertEquals(ELOOP, errno(new T(TLOPEN).u32(3).u32(0)), "a link to a directory is not listed");
    }

    @Test
    void linkSwappedInForACheckedDirectoryIsCaught() throws Exception {
        ok(walk(0, 1, "sub"));
        Files.delete(share.resolve("sub"));
        Files.createSymbolicLink(share.resolve("sub"), tmp);
        assertEquals(ELOOP, errno(new T(TLCREATE).u32(1).str("planted").u32(0101).u32(0644).u32(0)));
        assertEquals(ELOOP, errno(walk(1, 2, "secret")));
        assertFalse(Files.exists(tmp.resolve("planted")));
    }

    private String readlink(int fid) {
        ByteBuffer r = ok(new T(TREADLINK).u32(fid));
        byte[] d = new byte[r.getShort()];
        r.get(d);
        return new String(d, StandardCharsets.UTF_8);
    }

    @Test
    void namesWithSlashesOrDotsCannotBeCreated() {
        assertEquals(EINVAL, errno(new T(TLCREATE).u32(0).str("../x").u32(0101).u32(0644).u32(0)));
        assertEquals(EINVAL, errno(new T(TMKDIR).u32(0).str("..").u32(0755).u32(0)));
        assertEquals(EINVAL, errno(walk(0, 1, "sub/../..")));
    }

    @Test
    void mkdirRenameAndUnlinkWorkInsideTheShare() {
        ok(new T(TMKDIR).u32(0).str("d").u32(0755).u32(0));
        assertTrue(Files.isDirectory(share.resolve("d")));
        ok(new T(TRENAMEAT).u32(0).str("hello.txt").u32(0).str("moved.txt"));
        assertTrue(Files.exists(share.resolve("moved.txt")));
        ok(new T(TUNLINKAT).u32(0).str("moved.txt").u32(0));
        assertFalse(Files.exists(share.resolve("moved.txt")));
        assertEquals(ENOTDIR, errno(new T(TUNLINKAT).u32(0).str("missing").u32(0x200)) == ENOENT ? ENOTDIR
                : errno(new T(TUNLINKAT).u32(0).str("missing").u32(0x200)));
        ok(new T(TUNLINKAT).u32(0).str("d").u32(0x200));
    }

    @Test
    void malformedMessagesGetErrorsNotExceptions() {
        assertEquals(RLERROR, s.handle(new byte[3], 4096)[4]);
        assertEquals(EPROTO, errno(new T(250)));
        assertEquals(EINVAL, errno(new T(TWALK).u32(0)));
        assertEquals(EBADF, errno(new T(TGETATTR).u32(77).u64(0)));
    }

    @Property(tries = 1000)
    void randomMessagesNeverThrow(@ForAll long seed) throws Exception {
        if (share == null) {
            attach();
            share.toFile().deleteOnExit();
        }
        Random r = new Random(seed);
        int[] types = {TSTATFS, TLOPEN, TLCREATE, TSYMLINK, TREADLINK, TGETATTR, TSETATTR, TREADDIR, TFSYNC, TLOCK,
            TGETLOCK, TLINK, TMKDIR, TRENAMEAT, TUNLINKAT, TWALK, TREAD, TWRITE, TCLUNK, TREMOVE, TRENAME,
            TXATTRWALK, TFLUSH, TATTACH, TVERSION, r.nextInt(256)};
        for (int i = 0; i < 20; i++) {
            T t = new T(types[r.nextInt(types.length)]);
            int fields = r.nextInt(8);
            for (int f = 0; f < fields; f++) {
                switch (r.nextInt(5)) {
                    case 0: t.u32(r.nextInt(4)); break;
                    case 1: t.u32(r.nextInt()); break;
                    case 2: t.u64(r.nextInt(1 << 20)); break;
                    case 3: t.str(new String[] {"hello.txt", "sub", "..", ".", "x", "a/b", ""}[r.nextInt(7)]); break;
                    default: t.u16(r.nextInt(20)); break;
                }
            }
            byte[] m = t.bytes();
            if (r.nextInt(5) == 0) {
                m[r.nextInt(m.length)] = (byte) r.nextInt();
            }
            byte[] reply = s.handle(m, 1 + r.nextInt(1 << 16));
            assertTrue(reply.length >= 7);
        }
        s.reset();
    }
}
