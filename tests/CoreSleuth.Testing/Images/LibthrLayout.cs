namespace CoreSleuth.Testing.Images;

/// <summary>
/// Offsets in libthr's <c>struct pthread</c> and the values of its <c>_thread_off_*</c> debugger
/// symbols for one FreeBSD release (spec §9.1–§9.3, struct-offsets.txt). The 13/14 values were
/// checked against the real 13.5 libthr.so.3 of the corpus (its .data holds them); start_routine/arg
/// for 10–12 and name for 12 are derived from the member lists, the Obj_Entry offsets
/// (<see cref="LinkMap"/>, <see cref="TlsIndex"/>) are known only for 13.5 and reused for older releases.
/// </summary>
public sealed record LibthrLayout
{
    public int Tid { get; init; }
    /// <summary>tle.tqe_next; tle.tqe_prev follows at +8.</summary>
    public int Tle { get; init; }
    public int StartRoutine { get; init; }
    public int Arg { get; init; }
    public int Attr { get; init; }
    /// <summary>attr.flags (struct pthread_attr: sched_policy, sched_inherit, prio, suspend, flags …).</summary>
    public int AttrFlags => Attr + 16;
    public int AttrStackAddr => Attr + 24;
    public int AttrStackSize => Attr + 32;
    public int AttrGuardSize => Attr + 40;
    public int State { get; init; }
    public int Flags { get; init; }
    public int Tcb { get; init; }
    public int Magic { get; init; }
    public int ReportEvents { get; init; }
    public int EventMask { get; init; }
    public int EventBuf { get; init; }
    /// <summary>char *name (pthread_set_name_np), absent before 12.</summary>
    public int? Name { get; init; }
    public int Size { get; init; }

    /// <summary>offsetof(struct tcb, tcb_dtv) (spec §9.2).</summary>
    public int Dtv { get; init; } = 8;
    public int LinkMap { get; init; } = 584;
    public int TlsIndex { get; init; } = 140;
    public int SizeKey { get; init; } = 16;
    public int KeyAllocated { get; init; }
    public int KeyDestructor { get; init; } = 8;
    public int MaxKeys { get; init; } = 256;

    /// <summary>THR_MAGIC (spec §9.1).</summary>
    public const uint ThreadMagic = 0xd09ba115;
    /// <summary>TID_TERMINATED: the kernel stores it in tid when the thread exits.</summary>
    public const long TidTerminated = 1;
    public const int StateRunning = 0;
    public const int StateDead = 1;

    public static readonly LibthrLayout FreeBsd10 = new()
    {
        Tle = 56, StartRoutine = 128, Arg = 136, Attr = 144, State = 392, Flags = 408, Tcb = 480,
        Magic = 540, ReportEvents = 544, EventMask = 548, EventBuf = 552, Name = null, Size = 1024,
    };

    public static readonly LibthrLayout FreeBsd11 = new()
    {
        Tle = 56, StartRoutine = 128, Arg = 136, Attr = 144, State = 392, Flags = 408, Tcb = 544,
        Magic = 604, ReportEvents = 608, EventMask = 612, EventBuf = 616, Name = null, Size = 1120,
    };

    public static readonly LibthrLayout FreeBsd12 = FreeBsd11 with { Name = 1112 };

    public static readonly LibthrLayout FreeBsd13 = new()
    {
        Tle = 64, StartRoutine = 136, Arg = 144, Attr = 152, State = 400, Flags = 416, Tcb = 552,
        Magic = 620, ReportEvents = 624, EventMask = 628, EventBuf = 632, Name = 1128, Size = 1136,
    };

    public static LibthrLayout For(FreeBsdVersion version) => version.Major switch
    {
        <= 10 => FreeBsd10,
        11 => FreeBsd11,
        12 => FreeBsd12,
        _ => FreeBsd13,
    };

    /// <summary>The int debugger symbols of thr_symbols.c with their values (spec §9.3).</summary>
    public IReadOnlyList<(string Name, int Value)> DebuggerOffsets =>
    [
        ("_thread_off_tid", Tid),
        ("_thread_off_tcb", Tcb),
        ("_thread_off_next", Tle),
        ("_thread_off_state", State),
        ("_thread_off_attr_flags", AttrFlags),
        ("_thread_off_linkmap", LinkMap),
        ("_thread_off_tlsindex", TlsIndex),
        ("_thread_off_report_events", ReportEvents),
        ("_thread_off_event_mask", EventMask),
        ("_thread_off_event_buf", EventBuf),
        ("_thread_off_dtv", Dtv),
        ("_thread_size_key", SizeKey),
        ("_thread_off_key_allocated", KeyAllocated),
        ("_thread_off_key_destructor", KeyDestructor),
        ("_thread_max_keys", MaxKeys),
        ("_thread_state_running", StateRunning),
        ("_thread_state_zoombie", StateDead),
    ];
}
