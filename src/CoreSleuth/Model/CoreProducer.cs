namespace CoreSleuth.Model;

/// <summary>
/// Which program wrote the core (spec §1, §7.3). It decides how a thread's state must be read:
/// gcore leaves sleepers on their sleep queues, the kernel aborts interruptible sleeps before
/// dumping, and gdb writes no kinfo_proc at all.
/// </summary>
public enum CoreProducer
{
    Unknown,
    Gcore,
    Kernel,
    Gdb,
}
