package dev.cca.kvm;

import dev.cca.core.cpu.GicCpuInterface;

/**
 * A realm vCPU's REC as KVM keeps it (vcpu->arch.rec, struct realm_rec): the REC granule and its auxiliary granules,
 * the RmiRecRun page KVM shares with the RMM, and what KVM remembers between a REC exit and the next entry.
 */
final class RealmRec {
    /** The REC granule, or -1 before kvm_create_rec() (and after its destruction). */
    long pa = -1;
    long[] aux = new long[0];
    /** The RmiRecRun page (rec->run), or -1. */
    long run = -1;
    /** rec->run->enter.flags as KVM last set them (REC_ENTER_FLAG_*). */
    long enterFlags;
    /** The RMI exit reason of the last REC exit (rec->run->exit.exit_reason), -1 before the first exit. */
    int lastExit = -1;
    /** The list registers of the next REC entry and of the last exit (no allocation per entry). */
    final long[] lrs = new long[GicCpuInterface.NUM_LRS];
    /**
     * The REC's EL1 timers as the last REC exit reported them (KVM's CNTP/CNTV CTL and CVAL copies): CNTP_CTL,
     * CNTP_CVAL, CNTV_CTL, CNTV_CVAL.
     */
    final long[] timers = new long[4];
}
