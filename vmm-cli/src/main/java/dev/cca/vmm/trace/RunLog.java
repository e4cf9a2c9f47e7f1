package dev.cca.vmm.trace;

import dev.cca.core.cpu.Cpu;
import dev.cca.kvm.KvmExitView;
import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.KernelObserver;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.IoctlNames;
import dev.cca.kvm.uapi.KvmUapi;
import dev.cca.rmm.CcaFirmware;
import dev.cca.rmm.RmmInspector;
import dev.cca.rmm.RmmObserver;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.SmcDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code cca -v run} and {@code -vv} print on standard error, through the log. {@code -v}: the realm's life as
 * the RMM sees it (RMI_REALM_CREATE, the populated ranges, the RECs, the RIPAS of RAM, RMI_REALM_ACTIVATE,
 * RMI_REALM_DESTROY), and at the end the REC exits and the VMM's KVM_RUN exits counted by reason ({@link
 * #exitSummary}). {@code -vv}: also every RMI call with its decoded arguments and result, and every ioctl. It
 * observes the RMM ({@link RmmObserver}) and the host kernel ({@link KernelObserver}) and never changes either.
 */
public final class RunLog implements RmmObserver, KernelObserver {
    private static final Logger LOG = LoggerFactory.getLogger(RunLog.class);

    private final boolean everyCall;
    private final List<Runnable> detach = new ArrayList<>();
    private CcaFirmware firmware;
    /** DATA_CREATEs of contiguous pages, logged as one range: {start, end, measured pages}; null when none. */
    private long[] populating;
    /** RTT_INIT_RIPAS calls over contiguous IPAs, logged as one range: {start, end, calls}. */
    private long[] initRipas;
    private final Map<String, Long> recExits = new TreeMap<>();
    private final Map<String, Long> vmmExits = new TreeMap<>();

    /** {@code everyCall}: -vv, every RMI call and ioctl as well. */
    public RunLog(boolean everyCall) {
        this.everyCall = everyCall;
    }

    /** Subscribes to the RMM (before the host kernel boots, so that its first RMI calls are seen). */
    public void attachFirmware(CcaFirmware fw) {
        firmware = fw;
        fw.rmm.addObserver(this);
        detach.add(() -> fw.rmm.removeObserver(this));
    }

    /** Subscribes to the host kernel's ioctls. */
    public void attachKernel(HostKernel kernel) {
        kernel.addObserver(this);
        detach.add(() -> kernel.removeObserver(this));
    }

    public void close() {
        detach.forEach(Runnable::run);
        detach.clear();
        synchronized (this) {
            flush();
        }
    }

    // ---- RMM -----------------------------------------------------------------------------------------------------

    @Override
    public void rmiCall(Cpu cpu, long fid, long[] args) {
        if (everyCall && LOG.isDebugEnabled()) {
            LOG.debug("PE{} {}", cpu.index, SmcDecoder.formatCall(fid, args));
        }
    }

    @Override
    public synchronized void rmiReturn(Cpu cpu, long fid, long[] args, long[] out) {
        if (everyCall && LOG.isDebugEnabled()) {
            LOG.debug("PE{} {}", cpu.index, SmcDecoder.formatReturn(fid, out));
        }
        if (Rmi.status(out[0]) != Rmi.SUCCESS) {
            return;
        }
        if (fid == Rmi.DATA_CREATE) {
            long ipa = args[3];
            boolean measured = (args[5] & 1) != 0;
            if (initRipas != null || populating == null || populating[1] != ipa) {
                flush();
                populating = new long[] {ipa, ipa, 0};
            }
            populating[1] = ipa + 4096;
            populating[2] += measured ? 1 : 0;
            return;
        }
        if (fid == Rmi.RTT_INIT_RIPAS) {
            long base = args[2];
            if (populating != null || initRipas == null || initRipas[1] != base) {
                flush();
                initRipas = new long[] {base, base, 0};
            }
            initRipas[1] = out[1];
            initRipas[2]++;
            return;
        }
        if (fid == Rmi.REALM_CREATE) {
            flush();
            RmmInspector.RealmInfo r = firmware == null ? null : firmware.inspector(cpu.index).realm(args[1]);
            LOG.info("realm created (RMI_REALM_CREATE): RD {}{}", hex(args[1]), r == null ? ""
                    : String.format(Locale.ROOT, ", IPA width %d, %s, VMID %d", r.s2sz(), r.hashAlgoName(), r.vmid()));
        } else if (fid == Rmi.REC_CREATE) {
            flush();
            LOG.info("REC created (RMI_REC_CREATE): REC {} in realm {}", hex(args[2]), hex(args[1]));
        } else if (fid == Rmi.REALM_ACTIVATE) {
            flush();
            LOG.info("realm activated (RMI_REALM_ACTIVATE): RD {}", hex(args[1]));
        } else if (fid == Rmi.REALM_DESTROY) {
            flush();
            LOG.info("realm destroyed (RMI_REALM_DESTROY): RD {}", hex(args[1]));
        }
    }

    /** Logs the range being coalesced, if any. Caller holds the lock. */
    private void flush() {
        if (populating != null) {
            long pages = (populating[1] - populating[0]) >>> 12;
            LOG.info("populated {}-{} ({} page{}, {}; RMI_DATA_CREATE)", hex(populating[0]), hex(populating[1]),
                    pages, pages == 1 ? "" : "s", populating[2] == pages ? "measured" : populating[2] == 0 ? "not measured"
                            : populating[2] + " measured");
            populating = null;
        }
        if (initRipas != null) {
            LOG.info("RIPAS RAM over {}-{} ({} RMI_RTT_INIT_RIPAS call{})", hex(initRipas[0]), hex(initRipas[1]),
                    initRipas[2], initRipas[2] == 1 ? "" : "s");
            initRipas = null;
        }
    }

    @Override
    public synchronized void recExit(Cpu cpu, long recPa, int reason, long esr) {
        String name = SmcDecoder.exitReason(reason);
        if (reason == Rmi.EXIT_SYNC) {
            name += " (" + dev.cca.core.cpu.Esr.ecName(dev.cca.core.cpu.Esr.ec(esr)) + ")";
        }
        recExits.merge(name, 1L, Long::sum);
    }

    // ---- host kernel -------------------------------------------------------------------------------------------

    @Override
    public void ioctl(Process process, int fd, FileObject file, long request, long arg, long result,
                      long startNanos) {
        if (everyCall && LOG.isDebugEnabled()) {
            String r = result < 0 && result >= -4095 ? "-1 " + Errno.name((int) -result) : Long.toString(result);
            LOG.debug("ioctl({} {}, {}, {}) = {}", fd, file == null ? "(bad fd)" : file.name(),
                    IoctlNames.name(request), hex(arg), r);
        }
        if (IoctlNames.name(request).startsWith("KVM_ARM_RMI_POPULATE")) {
            synchronized (this) {
                flush(); // one populate ioctl, one range
            }
        }
        if (request == KvmUapi.KVM_RUN && KvmExitView.isVcpu(file)
                && (result >= 0 || result == -Errno.EINTR || result == -Errno.EFAULT)) {
            String name = KvmExitView.exitOf(file).reasonName();
            synchronized (this) {
                vmmExits.merge(name, 1L, Long::sum);
            }
        }
    }

    /**
     * The summary lines: the REC exits by reason (a realm) and the exits KVM_RUN returned to the VMM by reason, e.g.
     * {@code REC exits:    14 (RMI_EXIT_HOST_CALL 2, RMI_EXIT_SYNC (data abort) 9, ...)}.
     */
    public synchronized List<String> exitSummary() {
        List<String> l = new ArrayList<>();
        if (!recExits.isEmpty()) {
            l.add("REC exits:    " + counts(recExits));
        }
        if (!vmmExits.isEmpty()) {
            l.add("VMM exits:    " + counts(vmmExits));
        }
        return l;
    }

    private static String counts(Map<String, Long> m) {
        long total = m.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder b = new StringBuilder().append(total).append(" (");
        m.forEach((k, v) -> b.append(b.charAt(b.length() - 1) == '(' ? "" : ", ").append(k).append(' ').append(v));
        return b.append(')').toString();
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
