namespace CoreSleuth.Testing.Images;

/// <summary>Where a thread stopped relative to its blocking system call (spec §7.2–§7.3).</summary>
public enum ThreadStopState
{
    /// <summary>Asleep in the kernel: rip right after <c>syscall</c>, rax = syscall number
    /// (what gcore shows for every thread but the one that took the attach SIGSTOP).</summary>
    InKernelSleep,
    /// <summary>Sleep aborted with ERESTART: rip points at the <c>syscall</c> instruction again,
    /// rax = syscall number, r10 = rcx (kernel cores: weed_inhib, spec §7.3).</summary>
    Restarting,
    /// <summary>Sleep ended with EINTR: rip after <c>syscall</c>, rax = 4, CF set.</summary>
    Interrupted,
}

/// <summary>A syscall argument: a number, or the address of labelled data placed elsewhere
/// (a string on the thread's stack, a statement in the heap).</summary>
public readonly record struct ArgumentValue(ulong Value, string? Label)
{
    public static ArgumentValue AddressOf(string label) => new(0, label);

    public static implicit operator ArgumentValue(ulong value) => new(value, null);

    public static implicit operator ArgumentValue(long value) => new(unchecked((ulong)value), null);

    public static implicit operator ArgumentValue(int value) => new(unchecked((ulong)(long)value), null);
}

/// <summary>Bytes placed in the locals of one frame of a thread's stack (e.g. the path passed to open).</summary>
/// <param name="Label">Name under which the address is published (<see cref="ProcessImage.Labels"/>).</param>
/// <param name="Function">The function (name or alias, or module!name) whose frame holds the bytes.</param>
public sealed record FrameData(string Label, string Function, byte[] Bytes)
{
    /// <summary>Required address; the stack top of the thread is then chosen so that it lies in the
    /// frame's locals (the frame must be large enough).</summary>
    public ulong? Address { get; init; }

    /// <summary>Offset from the lowest byte of the frame's locals when <see cref="Address"/> is not given.</summary>
    public int OffsetInLocals { get; init; } = 16;

    public static FrameData CString(string label, string function, string text, ulong? address = null) =>
        new(label, function, [.. System.Text.Encoding.UTF8.GetBytes(text), 0]) { Address = address };
}

/// <summary>
/// A live thread: its call chain (outermost first, innermost = a syscall stub) and the syscall it
/// sleeps in. Names in the chain are function names or aliases, optionally qualified as
/// <c>libc.so.7!open</c>; each step must match a call site of the previous function.
/// </summary>
public sealed record ThreadSpec(int Lwp, IReadOnlyList<string> CallChain)
{
    /// <summary>The kernel thread name (td_name, NT_THRMISC); null = the command name.</summary>
    public string? Name { get; init; }

    /// <summary>pthread_set_name_np copy stored in struct pthread (12+); null = none.</summary>
    public string? PthreadName { get; init; }

    /// <summary>The main thread: its stack is the process stack and _start is outermost.</summary>
    public bool IsMainThread { get; init; }

    /// <summary>Arguments 1–6 of the blocking syscall (rdi, rsi, rdx, r10→rcx, r8, r9).</summary>
    public IReadOnlyList<ArgumentValue> SyscallArguments { get; init; } = [];

    public ThreadStopState StopState { get; init; } = ThreadStopState.InKernelSleep;

    /// <summary>When the innermost function is not a syscall stub but has a <see cref="FunctionSpec.FaultingLoad"/>:
    /// the thread stopped on that load (it took a page fault), its base register holding this value.</summary>
    public ulong? FaultBaseValue { get; init; }

    /// <summary>Required address of the thread's struct pthread (it must lie in a heap region).</summary>
    public ulong? PthreadAddress { get; init; }

    /// <summary>Required top of the thread's stack (page aligned); default: libthr's allocation order.</summary>
    public ulong? StackTop { get; init; }

    public IReadOnlyList<FrameData> FrameData { get; init; } = [];

    /// <summary>Extra 64-bit words of its struct pthread (offset, value) that libthr would have written,
    /// e.g. the queues of the mutexes it owns.</summary>
    public IReadOnlyList<(int Offset, ulong Value)> PthreadWords { get; init; } = [];

    /// <summary>Leave stale values in the top 16 bytes of every frame's locals that has room: a
    /// return address of an unrelated call site (plausible to a stack scanner, but not part of
    /// the chain) and a code address that follows no call (which validation must reject).</summary>
    public bool StaleStackValues { get; init; }
}

/// <summary>A thread that has exited: its struct pthread is still in memory with tid = 1 (TID_TERMINATED).</summary>
public sealed record ExitedThreadSpec
{
    public ulong? PthreadAddress { get; init; }

    /// <summary>Dead but not yet reclaimed: still linked in _thread_list with state PS_DEAD.</summary>
    public bool InThreadList { get; init; } = true;

    /// <summary>The thread's former LWP id, for the record (not stored in memory any more).</summary>
    public int FormerLwp { get; init; }
}
