package dev.cca.vmm.virtio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A 9P2000.L file server for one host directory (the protocol Linux's v9fs speaks over virtio-9p).
 *
 * <p>Confinement: a fid names a path as a list of components below the root, never with "." or ".." in it
 * ({@code ..} at the root stays at the root, as in a chroot). Every operation re-checks, with lstat, that no
 * component on the way is a symbolic link, and opens the last component with O_NOFOLLOW: a symlink, wherever
 * it points, is never followed by the server (the guest reads it with Treadlink and resolves it itself inside the
 * share). Names with '/' or NUL, or "." and ".." where a new entry is named, are refused with EINVAL. Requests
 * are served one at a time (the transport holds the device's lock), so a guest cannot swap a checked directory
 * for a link between the check and the use; a process on the host that changes the directory meanwhile can.
 *
 * <p>Errors are 9P2000.L Rlerror messages with Linux errno values; a malformed message gets EINVAL (or EPROTO for
 * an unknown type). Owners are not changed (the server runs as the user who ran cca): Tsetattr's uid and gid are
 * ignored, as QEMU's security_model=none does when chown fails.
 */
public final class NinePServer {
    // errno values (Linux, asm-generic).
    static final int EPERM = 1, ENOENT = 2, EIO = 5, EBADF = 9, EACCES = 13, EEXIST = 17, ENOTDIR = 20,
            EISDIR = 21, EINVAL = 22, ENOSPC = 28, ENAMETOOLONG = 36, ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61,
            EPROTO = 71, EOPNOTSUPP = 95;
    static final int TLERROR = 6, RLERROR = 7, TSTATFS = 8, TLOPEN = 12, TLCREATE = 14, TSYMLINK = 16,
            TMKNOD = 18, TRENAME = 20, TREADLINK = 22, TGETATTR = 24, TSETATTR = 26, TXATTRWALK = 30,
            TXATTRCREATE = 32, TREADDIR = 40, TFSYNC = 50, TLOCK = 52, TGETLOCK = 54, TLINK = 70, TMKDIR = 72,
            TRENAMEAT = 74, TUNLINKAT = 76, TVERSION = 100, TAUTH = 102, TATTACH = 104, TFLUSH = 108, TWALK = 110,
            TREAD = 116, TWRITE = 118, TCLUNK = 120, TREMOVE = 122;
    static final int QT_DIR = 0x80, QT_SYMLINK = 0x02, QT_FILE = 0;
    static final int MAX_MSIZE = 512 << 10;
    private static final int HEADER = 7;
    private static final int O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200,
            O_TRUNC = 01000, O_APPEND = 02000, AT_REMOVEDIR = 0x200;
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final Path root;
    private int msize = 8192;
    private final Map<Long, Fid> fids = new HashMap<>();

    /** A fid: its path below the root, and what is open on it. */
    private static final class Fid {
        List<String> path;
        FileChannel file;
        List<String> dirEntries;

        Fid(List<String> path) {
            this.path = path;
        }

        void close() {
            if (file != null) {
                try {
                    file.close();
                } catch (IOException ignored) {
                    // the fid goes away either way
                }
                file = null;
            }
            dirEntries = null;
        }
    }

    /** An error answered with Rlerror. */
    static final class NinePError extends Exception {
        final int errno;

        NinePError(int errno) {
            super(null, null, false, false);
            this.errno = errno;
        }
    }

    public NinePServer(Path root) throws IOException {
        this.root = root.toRealPath();
        if (!Files.isDirectory(this.root)) {
            throw new NotDirectoryException(root.toString());
        }
    }

    public int msize() {
        return msize;
    }

    /** Serves one T-message; returns the R-message (Rlerror for any failure), at most {@code max} bytes. */
    public byte[] handle(byte[] request, int max) {
        ByteBuffer in = ByteBuffer.wrap(request).order(ByteOrder.LITTLE_ENDIAN);
        int tag = 0xFFFF;
        int type = -1;
        try {
            if (request.length < HEADER) {
                throw new NinePError(EINVAL);
            }
            long size = in.getInt() & 0xFFFF_FFFFL;
            type = in.get() & 0xFF;
            tag = in.getShort() & 0xFFFF;
            if (size < HEADER || size > request.length) {
                throw new NinePError(EINVAL);
            }
            in.limit((int) size);
            Out out = new Out(type + 1, tag, Math.min(max, msize));
            dispatch(type, in, out);
            return out.finish();
        } catch (NinePError e) {
            return error(tag, e.errno);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            return error(tag, EINVAL);
        } catch (java.nio.BufferOverflowException e) {
            return error(tag, ENOSPC);
        }
    }

    private static byte[] error(int tag, int errno) {
        ByteBuffer b = ByteBuffer.allocate(11).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(11).put((byte) RLERROR).putShort((short) tag).putInt(errno);
        return b.array();
    }

    /** An R-message being built. */
    private static final class Out {
        final ByteBuffer b;

        Out(int type, int tag, int max) {
            b = ByteBuffer.allocate(Math.max(max, 64)).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0).put((byte) type).putShort((short) tag);
        }

        Out u8(int v) {
            b.put((byte) v);
            return this;
        }

        Out u16(int v) {
            b.putShort((short) v);
            return this;
        }

        Out u32(long v) {
            b.putInt((int) v);
            return this;
        }

        Out u64(long v) {
            b.putLong(v);
            return this;
        }

        Out str(String s) {
            byte[] x = s.getBytes(StandardCharsets.UTF_8);
            b.putShort((short) x.length).put(x);
            return this;
        }

        Out qid(int[] typeVersion, long path) {
            b.put((byte) typeVersion[0]).putInt(typeVersion[1]).putLong(path);
            return this;
        }

        byte[] finish() {
            int n = b.position();
            b.putInt(0, n);
            byte[] r = new byte[n];
            b.get(0, r);
            return r;
        }
    }

    private static String str(ByteBuffer in) {
        int n = in.getShort() & 0xFFFF;
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private Fid fid(ByteBuffer in) throws NinePError {
        Fid f = fids.get(in.getInt() & 0xFFFF_FFFFL);
        if (f == null) {
            throw new NinePError(EBADF);
        }
        return f;
    }

    // ---- confinement -----------------------------------------------------------------------------------

    /** A name for a new directory entry: one component, not "." or "..". */
    private static String entryName(String name) throws NinePError {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new NinePError(EINVAL);
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new NinePError(ENAMETOOLONG);
        }
        return name;
    }

    /**
     * The host path of {@code components}, after checking that none of the directories on the way is a symbolic
     * link (each checked with lstat, from the root down). The last component itself may be anything.
     */
    private Path resolve(List<String> components) throws NinePError {
        Path p = root;
        for (int i = 0; i < components.size(); i++) {
            p = p.resolve(components.get(i));
            if (i < components.size() - 1 && Files.isSymbolicLink(p)) {
                throw new NinePError(ELOOP);
            }
        }
        return p;
    }

    private Path resolve(Fid f) throws NinePError {
        return resolve(f.path);
    }

    private Path child(Fid dir, String name) throws NinePError {
        List<String> l = new ArrayList<>(dir.path);
        l.add(entryName(name));
        Path p = resolve(l);
        if (!Files.isDirectory(p.getParent(), NOFOLLOW)) {
            throw new NinePError(ENOTDIR);
        }
        return p;
    }

    // ---- attributes ------------------------------------------------------------------------------------

    private static Map<String, Object> attrs(Path p) throws IOException {
        return Files.readAttributes(p, "unix:mode,ino,dev,nlink,uid,gid,rdev,size,lastAccessTime,"
                + "lastModifiedTime,ctime,creationTime", NOFOLLOW);
    }

    private static int[] qidType(Map<String, Object> a) {
        int mode = (Integer) a.get("mode");
        int t = (mode & 0170000) == 0040000 ? QT_DIR : (mode & 0170000) == 0120000 ? QT_SYMLINK : QT_FILE;
        long mtime = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.SECONDS);
        return new int[] {t, (int) mtime};
    }

    private static void qid(Out out, Path p) throws IOException {
        Map<String, Object> a = attrs(p);
        out.qid(qidType(a), (Long) a.get("ino"));
    }

    // ---- dispatch --------------------------------------------------------------------------------------

    private void dispatch(int type, ByteBuffer in, Out out) throws NinePError {
        try {
            switch (type) {
                case TVERSION: version(in, out); break;
                case TATTACH: attach(in, out); break;
                case TAUTH: throw new NinePError(EOPNOTSUPP);
                case TFLUSH: in.getShort(); break; // requests complete synchronously: nothing to cancel
                case TWALK: walk(in, out); break;
                case TCLUNK: clunk(in); break;
                case TGETATTR: getattr(in, out); break;
                case TSETATTR: setattr(in); break;
                case TLOPEN: lopen(in, out); break;
                case TLCREATE: lcreate(in, out); break;
                case TREAD: read(in, out); break;
                case TWRITE: write(in, out); break;
                case TREADDIR: readdir(in, out); break;
                case TFSYNC: fsync(in); break;
                case TSTATFS: statfs(in, out); break;
                case TMKDIR: mkdir(in, out); break;
                case TSYMLINK: symlink(in, out); break;
                case TREADLINK: readlink(in, out); break;
                case TLINK: link(in); break;
                case TUNLINKAT: unlinkat(in); break;
                case TRENAMEAT: renameat(in); break;
                case TRENAME: rename(in); break;
                case TREMOVE: remove(in); break;
                case TLOCK: fid(in); out.u8(0); break; // LOCK_SUCCESS: one guest, no other lockers here
                case TGETLOCK: getlock(in, out); break;
                case TXATTRWALK: fid(in); in.getInt(); str(in); throw new NinePError(ENODATA);
                case TXATTRCREATE: throw new NinePError(EOPNOTSUPP);
                case TMKNOD: throw new NinePError(EPERM);
                default: throw new NinePError(EPROTO);
            }
        } catch (NoSuchFileException e) {
            throw new NinePError(ENOENT);
        } catch (FileAlreadyExistsException e) {
            throw new NinePError(EEXIST);
        } catch (DirectoryNotEmptyException e) {
            throw new NinePError(ENOTEMPTY);
        } catch (NotDirectoryException e) {
            throw new NinePError(ENOTDIR);
        } catch (AccessDeniedException e) {
            throw new NinePError(EACCES);
        } catch (NotLinkException e) {
            throw new NinePError(EINVAL);
        } catch (java.nio.file.FileSystemLoopException e) {
            throw new NinePError(ELOOP);
        } catch (java.nio.file.FileSystemException e) {
            String r = String.valueOf(e.getReason());
            throw new NinePError(r.contains("symbolic links") || r.contains("Too many levels") ? ELOOP
                    : r.contains("Is a directory") ? EISDIR : r.contains("No space") ? ENOSPC : EIO);
        } catch (IOException e) {
            throw new NinePError(EIO);
        }
    }

    private void version(ByteBuffer in, Out out) {
        int requested = in.getInt();
        String v = str(in);
        for (Fid f : fids.values()) {
            f.close();
        }
        fids.clear();
        msize = (int) Math.max(4096, Math.min(requested & 0xFFFF_FFFFL, MAX_MSIZE));
        out.u32(msize).str(v.equals("9P2000.L") ? "9P2000.L" : "unknown");
    }

    private void attach(ByteBuffer in, Out out) throws NinePError, IOException {
        long fid = in.getInt() & 0xFFFF_FFFFL;
        in.getInt(); // afid: no authentication
        str(in);     // uname
        str(in);     // aname: the share is the one directory
        in.getInt(); // n_uname
        if (fids.containsKey(fid)) {
            throw new NinePError(EBADF);
        }
        fids.put(fid, new Fid(List.of()));
        qid(out, root);
    }

    private void walk(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        long newfid = in.getInt() & 0xFFFF_FFFFL;
        int n = in.getShort() & 0xFFFF;
        if (n > 16) {
            throw new NinePError(EINVAL);
        }
        if (fids.containsKey(newfid) && fids.get(newfid) != f) {
            throw new NinePError(EBADF);
        }
        List<String> path = new ArrayList<>(f.path);
        List<Path> qids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = str(in);
            if (name.equals("..")) {
                if (!path.isEmpty()) {
                    path.remove(path.size() - 1);
                }
            } else if (!name.equals(".")) {
                String c;
                try {
                    c = entryName(name);
                } catch (NinePError e) {
                    if (i == 0) {
                        throw e;
                    }
                    break;
                }
                Path dir = resolve(path);
                if (!path.isEmpty() && Files.isSymbolicLink(dir)) {
                    if (i == 0) {
                        throw new NinePError(ELOOP); // the client resolves links itself
                    }
                    break;
                }
                path.add(c);
            }
            Path p = resolve(path);
            if (!Files.exists(p, NOFOLLOW)) {
                if (i == 0) {
                    throw new NinePError(ENOENT);
                }
                break;
            }
            qids.add(p);
        }
        out.u16(qids.size());
        for (Path p : qids) {
            qid(out, p);
        }
        if (qids.size() == n) {
            Fid nf = new Fid(path);
            if (newfid == fidNumber(f)) {
                f.close();
                f.path = path;
            } else {
                fids.put(newfid, nf);
            }
        }
    }

    private long fidNumber(Fid f) {
        for (Map.Entry<Long, Fid> e : fids.entrySet()) {
            if (e.getValue() == f) {
                return e.getKey();
            }
        }
        return -1;
    }

    private void clunk(ByteBuffer in) throws NinePError {
        long n = in.getInt() & 0xFFFF_FFFFL;
        Fid f = fids.remove(n);
        if (f == null) {
            throw new NinePError(EBADF);
        }
        f.close();
    }

    private void getattr(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        in.getLong(); // request_mask: everything basic is always returned
        Map<String, Object> a = attrs(resolve(f));
        long size = (Long) a.get("size");
        FileTime at = (FileTime) a.get("lastAccessTime");
        FileTime mt = (FileTime) a.get("lastModifiedTime");
        FileTime ct = (FileTime) a.get("ctime");
        out.u64(0x7FF); // P9_GETATTR_BASIC
        out.qid(qidType(a), (Long) a.get("ino"));
        out.u32((Integer) a.get("mode")).u32((Integer) a.get("uid")).u32((Integer) a.get("gid"));
        out.u64((Integer) a.get("nlink")).u64((Long) a.get("rdev")).u64(size).u64(4096).u64((size + 511) / 512);
        time(out, at);
        time(out, mt);
        time(out, ct);
        out.u64(0).u64(0).u64(0).u64(0); // btime, gen, data_version
    }

    private static void time(Out out, FileTime t) {
        long ns = t.to(TimeUnit.NANOSECONDS);
        out.u64(Math.floorDiv(ns, 1_000_000_000L)).u64(Math.floorMod(ns, 1_000_000_000L));
    }

    private void setattr(ByteBuffer in) throws NinePError, IOException {
        Fid f = fid(in);
        int valid = in.getInt();
        int mode = in.getInt();
        in.getInt(); // uid
        in.getInt(); // gid
        long size = in.getLong();
        long atimeS = in.getLong(), atimeN = in.getLong(), mtimeS = in.getLong(), mtimeN = in.getLong();
        Path p = resolve(f);
        boolean link = Files.isSymbolicLink(p);
        if ((valid & 1) != 0 && !link) { // P9_ATTR_MODE
            Files.setPosixFilePermissions(p, permissions(mode));
        }
        if ((valid & 8) != 0) { // P9_ATTR_SIZE
            if (link || Files.isDirectory(p, NOFOLLOW)) {
                throw new NinePError(link ? EINVAL : EISDIR);
            }
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE, NOFOLLOW)) {
                if (size < c.size()) {
                    c.truncate(size);
                } else if (size > c.size()) {
                    c.write(ByteBuffer.wrap(new byte[1]), size - 1);
                }
            }
        }
        if ((valid & 0x30) != 0) { // P9_ATTR_ATIME | P9_ATTR_MTIME (with _SET: the given time, else now)
            long now = System.currentTimeMillis();
            FileTime a = (valid & 0x10) == 0 ? null : (valid & 0x80) != 0
                    ? FileTime.from(atimeS * 1_000_000_000L + atimeN, TimeUnit.NANOSECONDS) : FileTime.fromMillis(now);
            FileTime m = (valid & 0x20) == 0 ? null : (valid & 0x100) != 0
                    ? FileTime.from(mtimeS * 1_000_000_000L + mtimeN, TimeUnit.NANOSECONDS) : FileTime.fromMillis(now);
            Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW).setTimes(m, a, null);
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                s.add(all[i]);
            }
        }
        return s;
    }

    private static Set<OpenOption> openOptions(int flags) {
        Set<OpenOption> o = new HashSet<>();
        o.add(NOFOLLOW);
        int acc = flags & O_ACCMODE;
        if (acc == O_WRONLY || acc == O_RDWR) {
            o.add(StandardOpenOption.WRITE);
        }
        if (acc != O_WRONLY) {
            o.add(StandardOpenOption.READ);
        }
        if ((flags & O_TRUNC) != 0 && acc != 0) {
            o.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        if ((flags & O_APPEND) != 0 && acc != 0) {
            o.add(StandardOpenOption.APPEND);
        }
        return o;
    }

    private int iounit() {
        return msize - 24;
    }

    private void lopen(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        int flags = in.getInt();
        if (f.file != null || f.dirEntries != null) {
            throw new NinePError(EBADF);
        }
        Path p = resolve(f);
        if (Files.isSymbolicLink(p)) {
            throw new NinePError(ELOOP);
        }
        if (Files.isDirectory(p, NOFOLLOW)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                List<String> names = new ArrayList<>(List.of(".", ".."));
                for (Path c : ds) {
                    names.add(c.getFileName().toString());
                }
                f.dirEntries = names;
            }
        } else {
            if (!Files.isRegularFile(p, NOFOLLOW)) {
                throw new NinePError(EPERM); // devices, fifos and sockets of the host stay closed
            }
            f.file = FileChannel.open(p, openOptions(flags & ~(O_CREAT | O_EXCL)));
        }
        qid(out, p);
        out.u32(iounit());
    }

    private void lcreate(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        String name = str(in);
        int flags = in.getInt();
        int mode = in.getInt();
        in.getInt(); // gid
        if (f.file != null || f.dirEntries != null) {
            throw new NinePError(EBADF);
        }
        Path p = child(f, name);
        Set<OpenOption> o = openOptions(flags);
        o.add(StandardOpenOption.CREATE_NEW);
        o.add(StandardOpenOption.WRITE);
        FileChannel c = FileChannel.open(p, o,
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(permissions(mode)));
        List<String> np = new ArrayList<>(f.path);
        np.add(name);
        f.path = np;
        f.file = c;
        qid(out, p);
        out.u32(iounit());
    }

    private void read(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        long offset = in.getLong();
        long count = in.getInt() & 0xFFFF_FFFFL;
        if (f.file == null) {
            throw new NinePError(EBADF);
        }
        if (offset < 0) {
            throw new NinePError(EINVAL);
        }
        int n = (int) Math.min(count, Math.min(iounit(), out.b.remaining() - 4));
        ByteBuffer data = ByteBuffer.allocate(Math.max(n, 0));
        int got = 0;
        while (data.hasRemaining()) {
            int r = f.file.read(data, offset + got);
            if (r <= 0) {
                break;
            }
            got += r;
        }
        out.u32(got);
        out.b.put(data.array(), 0, got);
    }

    private void write(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        long offset = in.getLong();
        long count = in.getInt() & 0xFFFF_FFFFL;
        if (f.file == null) {
            throw new NinePError(EBADF);
        }
        if (count > in.remaining() || offset < 0) {
            throw new NinePError(EINVAL);
        }
        byte[] b = new byte[(int) count];
        in.get(b);
        ByteBuffer data = ByteBuffer.wrap(b);
        try {
            while (data.hasRemaining()) {
                f.file.write(data, offset + data.position());
            }
        } catch (java.nio.channels.NonWritableChannelException e) {
            throw new NinePError(EBADF);
        }
        out.u32(count);
    }

    private void readdir(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        long offset = in.getLong();
        long count = in.getInt() & 0xFFFF_FFFFL;
        if (f.dirEntries == null) {
            throw new NinePError(EBADF);
        }
        if (offset < 0 || offset > f.dirEntries.size()) {
            throw new NinePError(EINVAL);
        }
        int limit = (int) Math.min(count, out.b.remaining() - 4);
        int countAt = out.b.position();
        out.u32(0);
        int start = out.b.position();
        Path dir = resolve(f);
        for (int i = (int) offset; i < f.dirEntries.size(); i++) {
            String name = f.dirEntries.get(i);
            Path p = name.equals(".") ? dir : name.equals("..") ? (f.path.isEmpty() ? dir : dir.getParent())
                    : dir.resolve(name);
            Map<String, Object> a;
            try {
                a = attrs(p);
            } catch (NoSuchFileException gone) {
                continue; // removed since the directory was opened
            }
            byte[] nb = name.getBytes(StandardCharsets.UTF_8);
            int len = 13 + 8 + 1 + 2 + nb.length;
            if (out.b.position() - start + len > limit) {
                break;
            }
            int[] qt = qidType(a);
            out.qid(qt, (Long) a.get("ino"));
            out.u64(i + 1);
            out.u8(qt[0] == QT_DIR ? 4 : qt[0] == QT_SYMLINK ? 10 : 8); // DT_DIR, DT_LNK, DT_REG
            out.str(name);
        }
        out.b.putInt(countAt, out.b.position() - start);
    }

    private void fsync(ByteBuffer in) throws NinePError, IOException {
        Fid f = fid(in);
        in.getInt(); // datasync
        if (f.file != null) {
            f.file.force(true);
        }
    }

    private void statfs(ByteBuffer in, Out out) throws NinePError, IOException {
        fid(in);
        FileStore s = Files.getFileStore(root);
        long bs = 4096;
        out.u32(0x01021997).u32(bs).u64(s.getTotalSpace() / bs).u64(s.getUnallocatedSpace() / bs)
                .u64(s.getUsableSpace() / bs).u64(0).u64(0).u64(0).u32(255);
    }

    private void mkdir(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        String name = str(in);
        int mode = in.getInt();
        in.getInt(); // gid
        Path p = child(f, name);
        Files.createDirectory(p, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(permissions(mode)));
        qid(out, p);
    }

    private void symlink(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        String name = str(in);
        String target = str(in);
        in.getInt(); // gid
        if (target.indexOf('\0') >= 0) {
            throw new NinePError(EINVAL);
        }
        // The link is stored as the guest wrote it; the server never follows it, the guest resolves it.
        Path p = child(f, name);
        Files.createSymbolicLink(p, Path.of(target));
        qid(out, p);
    }

    private void readlink(ByteBuffer in, Out out) throws NinePError, IOException {
        Fid f = fid(in);
        out.str(Files.readSymbolicLink(resolve(f)).toString());
    }

    private void link(ByteBuffer in) throws NinePError, IOException {
        Fid dir = fid(in);
        Fid target = fid(in);
        String name = str(in);
        Path t = resolve(target);
        if (Files.isDirectory(t, NOFOLLOW)) {
            throw new NinePError(EPERM);
        }
        Files.createLink(child(dir, name), t);
    }

    private void unlinkat(ByteBuffer in) throws NinePError, IOException {
        Fid dir = fid(in);
        String name = str(in);
        int flags = in.getInt();
        Path p = child(dir, name);
        boolean isDir = Files.isDirectory(p, NOFOLLOW);
        if ((flags & AT_REMOVEDIR) != 0 && !isDir) {
            throw new NinePError(ENOTDIR);
        }
        if ((flags & AT_REMOVEDIR) == 0 && isDir) {
            throw new NinePError(EISDIR);
        }
        Files.delete(p);
    }

    private void renameat(ByteBuffer in) throws NinePError, IOException {
        Fid od = fid(in);
        String on = str(in);
        Fid nd = fid(in);
        String nn = str(in);
        move(od, on, nd, nn);
    }

    private void rename(ByteBuffer in) throws NinePError, IOException {
        Fid f = fid(in);
        Fid nd = fid(in);
        String nn = str(in);
        if (f.path.isEmpty()) {
            throw new NinePError(EBUSY_ROOT);
        }
        Fid parent = new Fid(f.path.subList(0, f.path.size() - 1));
        move(parent, f.path.get(f.path.size() - 1), nd, nn);
    }

    private static final int EBUSY_ROOT = 16; // EBUSY: the root of the share cannot move

    private void move(Fid od, String on, Fid nd, String nn) throws NinePError, IOException {
        Path from = child(od, on);
        Path to = child(nd, nn);
        List<String> fromPath = new ArrayList<>(od.path);
        fromPath.add(on);
        List<String> toPath = new ArrayList<>(nd.path);
        toPath.add(nn);
        if (toPath.size() > fromPath.size() && toPath.subList(0, fromPath.size()).equals(fromPath)) {
            throw new NinePError(EINVAL); // a directory into itself
        }
        Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        // Fids below the old name follow it, as they would on a local file system.
        for (Fid f : fids.values()) {
            if (f.path.size() >= fromPath.size() && f.path.subList(0, fromPath.size()).equals(fromPath)) {
                List<String> np = new ArrayList<>(toPath);
                np.addAll(f.path.subList(fromPath.size(), f.path.size()));
                f.path = np;
            }
        }
    }

    private void remove(ByteBuffer in) throws NinePError, IOException {
        long n = in.getInt() & 0xFFFF_FFFFL;
        Fid f = fids.remove(n);
        if (f == null) {
            throw new NinePError(EBADF);
        }
        f.close();
        if (f.path.isEmpty()) {
            throw new NinePError(EBUSY_ROOT);
        }
        Files.delete(resolve(f));
    }

    private void getlock(ByteBuffer in, Out out) throws NinePError {
        fid(in);
        in.get();
        long start = in.getLong();
        long length = in.getLong();
        int proc = in.getInt();
        String client = str(in);
        out.u8(2).u64(start).u64(length).u32(proc).str(client); // F_UNLCK: nobody else holds a lock
    }

    /** Closes every open file (the device was reset or the VMM is exiting). */
    public void reset() {
        for (Fid f : fids.values()) {
            f.close();
        }
        fids.clear();
    }
}
