package dev.cca.vmm.token;

/**
 * A linear-time well-formedness check of one CBOR data item (RFC 8949, appendix C) run before Jackson parses a
 * token: it finds where the item ends (so that trailing bytes are refused), and bounds nesting depth and chains
 * of tags, which a hostile file could otherwise use to make parsing take seconds or exhaust the stack. An
 * attestation token nests four levels deep and carries two tags; the limits leave room to spare.
 */
final class CborCheck {
    static final int MAX_DEPTH = 32;
    static final int MAX_TAGS_IN_A_ROW = 4;

    private final byte[] b;
    private int pos;

    private CborCheck(byte[] b) {
        this.b = b;
    }

    /** The offset just past the first item of {@code b}; throws with the problem in words. */
    static int itemEnd(byte[] b) throws CcaToken.FormatException {
        CborCheck c = new CborCheck(b);
        c.item(0);
        return c.pos;
    }

    private void need(long n) throws CcaToken.FormatException {
        if (n < 0 || n > b.length - pos) { // a 64-bit length is unsigned: above 2^63 it is negative here
            throw new CcaToken.FormatException("not well-formed CBOR: truncated at byte " + pos);
        }
    }

    private long argument(int info) throws CcaToken.FormatException {
        if (info < 24) {
            return info;
        }
        int n;
        switch (info) {
            case 24: n = 1; break;
            case 25: n = 2; break;
            case 26: n = 4; break;
            case 27: n = 8; break;
            default:
                throw new CcaToken.FormatException("not well-formed CBOR: reserved additional information " + info
                        + " at byte " + (pos - 1));
        }
        need(n);
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = (v << 8) | (b[pos++] & 0xFF);
        }
        return v;
    }

    private void item(int depth) throws CcaToken.FormatException {
        if (depth > MAX_DEPTH) {
            throw new CcaToken.FormatException("CBOR nested more than " + MAX_DEPTH + " levels deep at byte " + pos);
        }
        int tags = 0;
        while (true) {
            need(1);
            int start = pos;
            int ib = b[pos++] & 0xFF;
            int major = ib >>> 5;
            int info = ib & 31;
            if (info == 31) {
                if (major == 0 || major == 1 || major == 6) {
                    throw new CcaToken.FormatException("not well-formed CBOR: indefinite length for major type "
                            + major + " at byte " + start);
                }
                indefinite(major, depth, start);
                return;
            }
            long arg = argument(info);
            switch (major) {
                case 0:
                case 1:
                case 7:
                    return;
                case 2:
                case 3:
                    need(arg);
                    pos += (int) arg;
                    return;
                case 4:
                    for (long i = 0; i < arg; i++) {
                        need(1);
                        item(depth + 1);
                    }
                    return;
                case 5:
                    for (long i = 0; i < arg; i++) {
                        need(1);
                        item(depth + 1);
                        item(depth + 1);
                    }
                    return;
                case 6:
                    if (++tags > MAX_TAGS_IN_A_ROW) {
                        throw new CcaToken.FormatException("more than " + MAX_TAGS_IN_A_ROW
                                + " CBOR tags on one item at byte " + start);
                    }
                    continue; // the tagged item follows
                default:
                    throw new IllegalStateException();
            }
        }
    }

    private void indefinite(int major, int depth, int start) throws CcaToken.FormatException {
        if (major == 7) {
            throw new CcaToken.FormatException("not well-formed CBOR: a \"break\" outside an indefinite-length item "
                    + "at byte " + start);
        }
        while (true) {
            need(1);
            if ((b[pos] & 0xFF) == 0xFF) {
                pos++;
                return;
            }
            if (major == 2 || major == 3) {
                int ib = b[pos] & 0xFF;
                if (ib >>> 5 != major || (ib & 31) == 31) {
                    throw new CcaToken.FormatException("not well-formed CBOR: a chunk of another type in an "
                            + "indefinite-length string at byte " + pos);
                }
            }
            item(depth + 1);
            if (major == 5) {
                item(depth + 1);
            }
        }
    }
}
