package dev.cca.rmm.el3;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.Firmware;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.TlbOp;
import dev.cca.core.mem.Page;
import dev.cca.core.mmu.GptTables;
import dev.cca.core.mmu.GranuleProtection;
import dev.cca.core.platform.HostPlatform;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.RmmEl3;

/**
 * The EL3 monitor model (the part of TF-A that RME needs): it owns the GPT, switches the PE between the
 * Non-secure and Realm worlds (saving and restoring each world's registers), forwards RMI calls from the host to
 * the RMM and their results back, and serves the RMM's requests to delegate and undelegate granules.
 */
public final class Monitor implements Firmware {
    /** Notional PC of the host kernel's code (Non-secure EL2), where EL3 returns to. */
    public static final long HOST_PC = 0xFFFF_8000_0000_0000L;
    public static final long EL3_PC = 0xFFFF_F000_0000_0000L;
    private static final long SPSR_EL2H_MASKED = 0x3C9;
    private static final long SCR_COMMON = SysRegs.SCR_HCE | SysRegs.SCR_RW;
    private static final long SCR_NS_WORLD = SCR_COMMON | SysRegs.SCR_NS;
    private static final long SCR_REALM_WORLD = SCR_COMMON | SysRegs.SCR_NS | SysRegs.SCR_NSE;

    private static final int NS = 0, REALM = 1;

    private final HostPlatform platform;
    private final GptTables gpt;
    private final WorldContext[][] contexts;
    private final long sharedBufferBase;
    private final long rmmEntry;
    private final PlatformAttestation attestation;
    /** Per PE: the platform token being handed out in hunks by RMM_GET_PLAT_TOKEN, and how much is sent. */
    private final byte[][] platTokens;
    private final int[] platTokenSent;
    /** PSCI for the Non-secure world, with a power controller installed; null otherwise. */
    private volatile NsPsci psci;

    /** One world's register state on one PE, as the monitor saves it across world switches. */
    private static final class WorldContext {
        final long[] gprs = new long[31];
        final long[] sp = new long[3];
        final long[] el1 = new long[SysRegs.EL1_CONTEXT.length];
        final long[] el2 = new long[SysRegs.EL2_CONTEXT.length];
        long elr3;
        long spsr3;
        boolean started;
    }

    public Monitor(HostPlatform platform, long rmmEntry) {
        this(platform, rmmEntry, PlatformAttestation.generated());
    }

    public Monitor(HostPlatform platform, long rmmEntry, PlatformAttestation attestation) {
        this.platform = platform;
        this.rmmEntry = rmmEntry;
        this.attestation = attestation;
        int n = platform.machine.cpuCount();
        platTokens = new byte[n][];
        platTokenSent = new int[n];
        contexts = new WorldContext[n][2];
        for (int i = 0; i < n; i++) {
            contexts[i][NS] = new WorldContext();
            contexts[i][REALM] = new WorldContext();
        }
        gpt = new GptTables(platform.machine.memory, HostPlatform.ROOT_BASE, HostPlatform.PPS_BITS);
        // The shared buffers take the top pages of Root memory, the GPT everything below them.
        sharedBufferBase = HostPlatform.ROOT_BASE + HostPlatform.ROOT_SIZE - (long) n * Page.SIZE;
        if (platform.dramEnd() - HostPlatform.DRAM_BASE > maxDramBytes(n)) {
            throw new IllegalArgumentException(String.format("%d MiB of DRAM is more than the GPT in Root memory "
                    + "can describe (%d MiB with %d PEs)", platform.dramSize >> 20, maxDramBytes(n) >> 20, n));
        }
        buildGpt();
    }

    @Override
    public String name() {
        return "EL3 monitor";
    }

    @Override
    public long pc() {
        return EL3_PC;
    }

    /**
     * The most DRAM (from {@link HostPlatform#DRAM_BASE}) whose GPT fits in Root memory with {@code cpus} PEs: the
     * level 0 table and one level 1 table for each GiB that holds Root memory or DRAM must fit below the PEs'
     * shared buffers.
     */
    public static long maxDramBytes(int cpus) {
        long tables = (HostPlatform.ROOT_SIZE - (long) cpus * Page.SIZE) / GptTables.L1_TABLE_BYTES;
        // One slot holds the level 0 table, one the level 1 table of Root memory's GiB; DRAM starts GiB aligned.
        long dramGiB = tables - 2;
        return Math.min(dramGiB << GptTables.L0_SHIFT, (1L << HostPlatform.PPS_BITS) - HostPlatform.DRAM_BASE);
    }

    public GptTables gpt() {
        return gpt;
    }

    /** The platform's attestation keys and token source. */
    public PlatformAttestation attestation() {
        return attestation;
    }

    /** The EL3-RMM shared buffer of a PE (a Realm PAS page in Root memory). */
    public long sharedBuffer(int cpu) {
        return sharedBufferBase + (long) cpu * Page.SIZE;
    }

    /**
     * Builds the GPT: DRAM Non-secure, Root memory Root, the EL3-RMM shared buffers Realm, everything else
     * Non-secure (devices).
     */
    private void buildGpt() {
        var mem = platform.machine.memory;
        mem.zero(HostPlatform.ROOT_BASE, gpt.l0Bytes());
        long nextL1 = HostPlatform.ROOT_BASE + GptTables.L1_TABLE_BYTES;
        for (int i = 0; i < gpt.l0Entries(); i++) {
            long lo = (long) i << GptTables.L0_SHIFT;
            long hi = lo + (1L << GptTables.L0_SHIFT);
            boolean hasDram = HostPlatform.DRAM_BASE < hi && lo < platform.dramEnd();
            boolean hasRoot = HostPlatform.ROOT_BASE < hi && lo < HostPlatform.ROOT_BASE + HostPlatform.ROOT_SIZE;
            if (hasDram || hasRoot) {
                gpt.attachL1(i, nextL1, GranuleProtection.GPI_NON_SECURE);
                nextL1 += GptTables.L1_TABLE_BYTES;
            } else {
                gpt.setBlock(i, GranuleProtection.GPI_NON_SECURE);
            }
        }
        if (nextL1 > sharedBufferBase) {
            throw new IllegalStateException("GPT does not fit in Root memory");
        }
        for (long pa = HostPlatform.ROOT_BASE; pa < HostPlatform.ROOT_BASE + HostPlatform.ROOT_SIZE; pa += Page.SIZE) {
            gpt.setGranule(pa, GranuleProtection.GPI_ROOT);
        }
        for (int c = 0; c < platform.machine.cpuCount(); c++) {
            gpt.setGranule(sharedBuffer(c), GranuleProtection.GPI_REALM);
        }
    }

    /**
     * Cold boot of one PE (TF-A BL31 with RME): enables granule protection, boots the RMM on this PE through
     * the RMM-EL3 interface, then enters the host at Non-secure EL2. Returns with the PE at Non-secure EL2.
     */
    public void boot(Cpu cpu) {
        if (cpu.el != 3) {
            throw new IllegalStateException("boot must start at EL3");
        }
        cpu.writeSysReg(SysRegs.GPTBR_EL3, gpt.gptbr());
        cpu.writeSysReg(SysRegs.GPCCR_EL3, gpt.gpccr());
        cpu.setFirmware(3, SecurityState.ROOT, this);
        // The Non-secure world starts from this PE's reset values of its EL1 and EL2 registers (VPIDR_EL2 and
        // VMPIDR_EL2 among them), which the first switch back to it restores.
        WorldContext ns = contexts[cpu.index][NS];
        for (int i = 0; i < SysRegs.EL1_CONTEXT.length; i++) {
            ns.el1[i] = cpu.sr[SysRegs.EL1_CONTEXT[i]];
        }
        for (int i = 0; i < SysRegs.EL2_CONTEXT.length; i++) {
            ns.el2[i] = cpu.sr[SysRegs.EL2_CONTEXT[i]];
        }
        WorldContext realm = contexts[cpu.index][REALM];
        realm.started = true;
        cpu.writeSysReg(SysRegs.SCR_EL3, SCR_REALM_WORLD);
        cpu.sr[SysRegs.ELR_EL3] = rmmEntry;
        cpu.sr[SysRegs.SPSR_EL3] = SPSR_EL2H_MASKED;
        cpu.x[0] = cpu.index;
        cpu.x[1] = RmmEl3.IFACE_VERSION;
        cpu.x[2] = platform.machine.cpuCount();
        cpu.x[3] = sharedBuffer(cpu.index);
        cpu.eret();
        Cpu.StopReason r = cpu.runUntil(2, SecurityState.NON_SECURE);
        if (r != Cpu.StopReason.ARRIVED) {
            throw new IllegalStateException("RMM boot did not return to the host: " + r);
        }
    }

    @Override
    public void enter(Cpu cpu, Entry entry) {
        long esr = cpu.sr[SysRegs.ESR_EL3];
        if (entry != Entry.EXCEPTION || Esr.ec(esr) != Esr.EC_SMC64) {
            throw new IllegalStateException(String.format("unexpected exception at EL3: %s, ESR_EL3 %#x (%s), "
                    + "ELR_EL3 %#x, FAR_EL3 %#x", entry, esr, Esr.ecName(Esr.ec(esr)), cpu.sr[SysRegs.ELR_EL3],
                    cpu.sr[SysRegs.FAR_EL3]));
        }
        SecurityState from = SecurityState.fromScr(cpu.sr[SysRegs.SCR_EL3]);
        long fid = cpu.x[0] & 0xFFFF_FFFFL;
        cpu.pc = EL3_PC;
        if (from == SecurityState.NON_SECURE) {
            fromHost(cpu, fid);
        } else if (from == SecurityState.REALM) {
            fromRmm(cpu, fid);
        } else {
            cpu.x[0] = Smccc.SMC_UNKNOWN;
            cpu.eret();
        }
    }

    private void fromHost(Cpu cpu, long fid) {
        if (Rmi.inRange(fid)) {
            long[] args = new long[8];
            System.arraycopy(cpu.x, 0, args, 0, 8);
            switchWorld(cpu, NS, REALM);
            System.arraycopy(args, 0, cpu.x, 0, 8);
            cpu.sr[SysRegs.ELR_EL3] = rmmEntry;
            cpu.sr[SysRegs.SPSR_EL3] = SPSR_EL2H_MASKED;
            cpu.eret();
            return;
        }
        NsPsci p = psci;
        if (p != null && (Psci.isPsci(fid) || fid == NsPsci.SMCCC_ARCH_FEATURES)) {
            p.call(cpu, fid);
            return;
        }
        cpu.x[0] = fid == Smccc.SMCCC_VERSION ? 0x10002L : Smccc.SMC_UNKNOWN;
        cpu.eret();
    }

    /**
     * Makes this monitor answer PSCI calls from the Non-secure world, powering PEs through {@code power}. Every PE
     * but {@code bootPe} is then off until a CPU_ON names it.
     */
    public void enablePsci(PowerControl power, int bootPe) {
        psci = new NsPsci(this, platform.machine, power, bootPe);
    }

    /**
     * Puts a booted PE (at Non-secure EL2) at {@code pc} in EL2h with interrupts masked, the EL2 MMU off and X0 =
     * {@code x0}, as TF-A enters BL33 (cca run --host-image).
     */
    public void startNonSecure(Cpu cpu, long pc, long x0) {
        NsPsci.enterNonSecureEl2(cpu, pc, x0);
    }

    /**
     * Warm boot of a PE that PSCI CPU_ON powered on: enters the Non-secure world at EL2h with interrupts masked and
     * the EL2 MMU off, at the entry point and with the context id CPU_ON gave. Run on the PE's own thread.
     */
    public void warmBoot(Cpu cpu) {
        NsPsci p = psci;
        if (p == null) {
            throw new IllegalStateException("PSCI is not enabled");
        }
        p.warmBoot(cpu);
    }

    private void fromRmm(Cpu cpu, long fid) {
        if (fid == RmmEl3.REQ_COMPLETE) {
            long[] res = new long[5];
            System.arraycopy(cpu.x, 1, res, 0, 5);
            switchWorld(cpu, REALM, NS);
            System.arraycopy(res, 0, cpu.x, 0, 5);
            cpu.eret();
        } else if (fid == RmmEl3.BOOT_COMPLETE) {
            if (cpu.x[1] != 0) {
                throw new IllegalStateException("RMM boot failed on PE " + cpu.index + ": status " + cpu.x[1]);
            }
            switchWorld(cpu, REALM, NS);
            WorldContext ns = contexts[cpu.index][NS];
            if (!ns.started) {
                ns.started = true;
                cpu.sr[SysRegs.ELR_EL3] = HOST_PC;
                cpu.sr[SysRegs.SPSR_EL3] = SPSR_EL2H_MASKED;
            }
            cpu.eret();
        } else if (fid == RmmEl3.GTSI_DELEGATE) {
            cpu.x[0] = transition(cpu, cpu.x[1], GranuleProtection.GPI_NON_SECURE, GranuleProtection.GPI_REALM);
            cpu.eret();
        } else if (fid == RmmEl3.GTSI_UNDELEGATE) {
            cpu.x[0] = transition(cpu, cpu.x[1], GranuleProtection.GPI_REALM, GranuleProtection.GPI_NON_SECURE);
            cpu.eret();
        } else if (fid == RmmEl3.GET_REALM_ATTEST_KEY) {
            getRealmAttestKey(cpu);
            cpu.eret();
        } else if (fid == RmmEl3.GET_PLAT_TOKEN) {
            getPlatformToken(cpu);
            cpu.eret();
        } else {
            cpu.x[0] = Smccc.SMC_UNKNOWN;
            cpu.eret();
        }
    }

    /** True if [buf, buf+size) lies in this PE's EL3-RMM shared buffer. */
    private boolean inSharedBuffer(Cpu cpu, long buf, long size) {
        long base = sharedBuffer(cpu.index);
        return Long.compareUnsigned(buf - base, Page.SIZE) < 0 && Long.compareUnsigned(size, Page.SIZE) <= 0
                && Long.compareUnsigned(buf - base + size, Page.SIZE) <= 0;
    }

    /**
     * RMM_GET_REALM_ATTEST_KEY(buf, size, curve): writes the RAK's raw private scalar into the shared buffer.
     * X0 = status, X1 = key length (TF-A rmmd_attest_get_signing_key).
     */
    private void getRealmAttestKey(Cpu cpu) {
        long buf = cpu.x[1];
        long size = cpu.x[2];
        long curve = cpu.x[3];
        byte[] key = attestation.rakRaw();
        if (curve != RmmEl3.ATTEST_KEY_CURVE_ECC_SECP384R1 || !inSharedBuffer(cpu, buf, size)
                || size < key.length) {
            cpu.x[0] = RmmEl3.E_RMM_INVAL;
            return;
        }
        platform.machine.memory.writeBytes(buf, key, 0, key.length);
        cpu.x[0] = RmmEl3.E_RMM_OK;
        cpu.x[1] = key.length;
    }

    /**
     * RMM_GET_PLAT_TOKEN(buf, size, hash_size): on the first call (hash_size != 0) the buffer holds the challenge
     * (the hash of the RAK public key) and the platform token is made for it; each call copies the next hunk into
     * the buffer. X0 = status, X1 = hunk length, X2 = bytes remaining.
     */
    private void getPlatformToken(Cpu cpu) {
        long buf = cpu.x[1];
        long size = cpu.x[2];
        long hashSize = cpu.x[3];
        int pe = cpu.index;
        if (!inSharedBuffer(cpu, buf, size) || size == 0) {
            cpu.x[0] = RmmEl3.E_RMM_INVAL;
            return;
        }
        if (hashSize != 0) {
            if (hashSize != 32 && hashSize != 48 && hashSize != 64 || hashSize > size) {
                cpu.x[0] = RmmEl3.E_RMM_INVAL;
                return;
            }
            byte[] challenge = new byte[(int) hashSize];
            platform.machine.memory.readBytes(buf, challenge, 0, challenge.length);
            platTokens[pe] = attestation.platformToken(challenge);
            platTokenSent[pe] = 0;
        } else if (platTokens[pe] == null) {
            cpu.x[0] = RmmEl3.E_RMM_INVAL; // no token requested yet
            return;
        }
        byte[] t = platTokens[pe];
        int hunk = (int) Math.min(size, t.length - platTokenSent[pe]);
        platform.machine.memory.writeBytes(buf, t, platTokenSent[pe], hunk);
        platTokenSent[pe] += hunk;
        cpu.x[0] = RmmEl3.E_RMM_OK;
        cpu.x[1] = hunk;
        cpu.x[2] = t.length - platTokenSent[pe];
        if (cpu.x[2] == 0) {
            platTokens[pe] = null;
        }
    }

    /**
     * Changes one granule's GPI if it is currently {@code from}, then invalidates cached GPT information on every
     * PE (TLBI RPAOS + DSB). Only a PE's own thread may touch its TLB, so the other PEs get the invalidation
     * through the coherence domain's broadcast: a PE that is executing applies it before its next instruction and
     * before this returns, the others before they execute again.
     */
    private long transition(Cpu cpu, long pa, int from, int to) {
        if ((pa & (Page.SIZE - 1)) != 0 || pa < HostPlatform.DRAM_BASE || pa >= platform.dramEnd()) {
            return RmmEl3.E_RMM_BAD_ADDR;
        }
        synchronized (this) {
            if (gpt.gpi(pa) != from) {
                return RmmEl3.E_RMM_BAD_PAS;
            }
            gpt.setGranule(pa, to);
        }
        // Outside the lock: transitions of other granules on other PEs need not wait for this broadcast.
        cpu.coherenceDomain().broadcast(cpu, TlbOp.EVERYTHING);
        return RmmEl3.E_RMM_OK;
    }

    /** Saves the outgoing world's registers and installs the incoming world's (TF-A cm_el1/el2 context). */
    private void switchWorld(Cpu cpu, int from, int to) {
        WorldContext out = contexts[cpu.index][from];
        WorldContext in = contexts[cpu.index][to];
        System.arraycopy(cpu.x, 0, out.gprs, 0, 31);
        System.arraycopy(cpu.spEl, 0, out.sp, 0, 3);
        int[] el1 = SysRegs.EL1_CONTEXT;
        int[] el2 = SysRegs.EL2_CONTEXT;
        for (int i = 0; i < el1.length; i++) {
            out.el1[i] = cpu.sr[el1[i]];
            cpu.sr[el1[i]] = in.el1[i];
        }
        for (int i = 0; i < el2.length; i++) {
            out.el2[i] = cpu.sr[el2[i]];
            cpu.sr[el2[i]] = in.el2[i];
        }
        out.elr3 = cpu.sr[SysRegs.ELR_EL3];
        out.spsr3 = cpu.sr[SysRegs.SPSR_EL3];
        System.arraycopy(in.gprs, 0, cpu.x, 0, 31);
        System.arraycopy(in.sp, 0, cpu.spEl, 0, 3);
        cpu.sr[SysRegs.ELR_EL3] = in.elr3;
        cpu.sr[SysRegs.SPSR_EL3] = in.spsr3;
        cpu.writeSysReg(SysRegs.SCR_EL3, to == REALM ? SCR_REALM_WORLD : SCR_NS_WORLD);
    }
}
