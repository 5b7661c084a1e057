namespace CoreSleuth.Analysis.Unwind;

/// <summary>How a frame's pc was found, from most to least trustworthy.</summary>
public enum FrameTrust
{
    /// <summary>The thread's saved registers (frame 0).</summary>
    Context,
    /// <summary>The interrupted context saved by the kernel in a signal frame (struct sigframe's mcontext).</summary>
    SignalContext,
    /// <summary>Call-frame information (.eh_frame) of the frame below.</summary>
    Cfi,
    /// <summary>An unwind plan made by decoding the frame below's function from its start (code without CFI).</summary>
    Prologue,
    /// <summary>
    /// The frame below is frame 0 at a system call and its code is not available: FreeBSD's libc
    /// syscall stubs push nothing, so the return address is the word at rsp.
    /// </summary>
    SyscallStub,
    /// <summary>The rbp chain: [rbp] = caller's rbp, [rbp+8] = return address.</summary>
    FramePointer,
    /// <summary>
    /// The frame below is frame 0, its code is not available and it is not at a system call: it is
    /// taken to be frameless (a leaf such as an assembly string routine), so the word at rsp,
    /// which points into code, is its return address. Unverified: if frame 0 had set up a frame,
    /// this frame is not real.
    /// </summary>
    Frameless,
    /// <summary>A stack word that is a plausible return address (follows a call instruction).</summary>
    Scan,
}

public static class FrameTrustExtensions
{
    /// <summary>The label reports use: "context", "signal-context", "cfi", "prologue", "syscall-stub", "frame-pointer", "frameless", "scan".</summary>
    public static string Label(this FrameTrust trust) => trust switch
    {
        FrameTrust.Context => "context",
        FrameTrust.SignalContext => "signal-context",
        FrameTrust.Cfi => "cfi",
        FrameTrust.Prologue => "prologue",
        FrameTrust.SyscallStub => "syscall-stub",
        FrameTrust.FramePointer => "frame-pointer",
        FrameTrust.Frameless => "frameless",
        _ => "scan",
    };
}

/// <summary>A register value in a frame and where it came from ("context", "saved at 0x… (CFA-16)", …).</summary>
public sealed record RecoveredRegister(int Register, ulong Value, RegisterOrigin Origin)
{
    public string Name => DwarfRegisters.Name(Register);

    public string Source => Origin.ToString();
}

/// <summary>
/// The callee-saved registers known in one frame, held in one object: a walk of ten thousand
/// threads keeps over a hundred thousand frames, and an object per register would be most of them.
/// A <see cref="RecoveredRegister"/> is made when one is read. A register restored from its slot
/// at CFA+n keeps only n: every such slot of a frame is relative to the same CFA, kept once.
/// </summary>
public sealed class RecoveredRegisters : IReadOnlyList<RecoveredRegister>
{
    public const int Capacity = 6;

    private Entries entries;
    private int count;
    // The CFA the frame's saved-at-CFA slots are relative to, once the first is added.
    private ulong slotBase;
    private bool hasSlotBase;
    // Origins told in words other than the unwinder's usual few (rare): by entry.
    private string?[]? texts;

    // 16 bytes, against 40 with the origin whole: the slot's address is slotBase + Offset, and an
    // origin in words is one of CommonTexts (TextIndex > 0) or kept in texts.
    private readonly record struct Saved(ulong Value, int Offset, byte Register, RegisterOrigin.Kind Kind, byte TextIndex);

    [System.Runtime.CompilerServices.InlineArray(Capacity)]
    private struct Entries { private Saved first; }

    // What the unwinder says of nearly every register it carries: kept as an index, not a reference.
    private static readonly string[] CommonTexts =
    [
        "", "context", "unchanged (no CFI rule)", "unchanged (same-value rule)", "unchanged (a syscall stub saves nothing)",
        "carried over (assumed frameless)", "carried over (unverified)",
    ];

    public static readonly RecoveredRegisters Empty = new();

    internal void Add(int register, ulong value, RegisterOrigin origin)
    {
        if (count == Capacity) throw new InvalidOperationException($"at most {Capacity} registers");
        var (kind, text, address, offset) = origin.Parts;
        if (kind == RegisterOrigin.Kind.SavedAtCfa)
        {
            ulong slotCfa = unchecked(address - (ulong)(long)offset);
            if (!hasSlotBase) (slotBase, hasSlotBase) = (slotCfa, true);
            // Another CFA in the same frame (never, from the unwinder): kept as its text.
            else if (slotCfa != slotBase) (kind, text) = (RegisterOrigin.Kind.Text, origin.ToString());
        }
        byte textIndex = 0;
        if (kind == RegisterOrigin.Kind.Text)
        {
            int common = Array.IndexOf(CommonTexts, text ?? "", 1);
            if (common > 0) textIndex = (byte)common;
            else (texts ??= new string?[Capacity])[count] = text;
        }
        entries[count++] = new Saved(value, offset, (byte)register, kind, textIndex);
    }

    public int Count => count;

    /// <summary>The register at <paramref name="index"/> as parts, without making a <see cref="RecoveredRegister"/>.</summary>
    public (int Register, ulong Value, RegisterOrigin Origin) Entry(int index)
    {
        if ((uint)index >= (uint)count) throw new ArgumentOutOfRangeException(nameof(index));
        var e = entries[index];
        var origin = e.Kind switch
        {
            RegisterOrigin.Kind.SavedAtCfa => RegisterOrigin.SavedAtCfa(unchecked(slotBase + (ulong)(long)e.Offset), e.Offset),
            RegisterOrigin.Kind.CfaPlus => RegisterOrigin.CfaPlus(e.Offset),
            RegisterOrigin.Kind.Text => (RegisterOrigin)(e.TextIndex > 0 ? CommonTexts[e.TextIndex] : texts?[index] ?? ""),
            _ => default,
        };
        return (e.Register, e.Value, origin);
    }

    public RecoveredRegister this[int index]
    {
        get
        {
            var (register, value, origin) = Entry(index);
            return new RecoveredRegister(register, value, origin);
        }
    }

    public IEnumerator<RecoveredRegister> GetEnumerator()
    {
        for (int i = 0; i < count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Where a register value came from. The two origins of nearly every CFI-restored register
/// (a slot at CFA±n, or CFA±n itself) are described only when asked for: an unwind of a
/// thousand threads would otherwise format tens of thousands of strings nobody reads.
/// </summary>
public readonly record struct RegisterOrigin
{
    internal enum Kind : byte { None, Text, SavedAtCfa, CfaPlus }

    /// <summary>What the origin is made of, for <see cref="RecoveredRegisters"/> to keep it compactly.</summary>
    internal (Kind Kind, string? Text, ulong Address, int Offset) Parts => (kind, text, address, offset);

    // 24 bytes: one of these per register per frame.
    private readonly string? text;
    private readonly ulong address;
    private readonly int offset;
    private readonly Kind kind;

    private RegisterOrigin(Kind kind, string? text, ulong address, int offset) =>
        (this.kind, this.text, this.address, this.offset) = (kind, text, address, offset);

    /// <summary>Whether an origin was recorded (the default value records none).</summary>
    public bool IsKnown => kind != Kind.None;

    /// <summary>Saved in the slot at <paramref name="slot"/>, which is CFA + <paramref name="cfaOffset"/>.</summary>
    public static RegisterOrigin SavedAtCfa(ulong slot, long cfaOffset) =>
        cfaOffset is >= int.MinValue and <= int.MaxValue ? new RegisterOrigin(Kind.SavedAtCfa, null, slot, (int)cfaOffset) : (RegisterOrigin)$"saved at 0x{slot:x} (CFA{Signed(cfaOffset)})";

    /// <summary>The value CFA + <paramref name="cfaOffset"/> itself (DW_CFA_val_offset).</summary>
    public static RegisterOrigin CfaPlus(long cfaOffset) =>
        cfaOffset is >= int.MinValue and <= int.MaxValue ? new RegisterOrigin(Kind.CfaPlus, null, 0, (int)cfaOffset) : (RegisterOrigin)$"CFA{Signed(cfaOffset)}";

    public static implicit operator RegisterOrigin(string text) => new(Kind.Text, text, 0, 0);

    public override string ToString() => kind switch
    {
        Kind.SavedAtCfa => $"saved at 0x{address:x} (CFA{Signed(offset)})",
        Kind.CfaPlus => $"CFA{Signed(offset)}",
        _ => text ?? "",
    };

    private static string Signed(long value) => value.ToString("+0;-0;+0", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// One frame of a walk. <see cref="Sp"/> is the stack pointer in the frame (for frames after
/// the first, the CFA of the frame below when found by CFI). <see cref="Registers"/> lists the
/// callee-saved registers (rbx, rbp, r12–r15) whose value in this frame is known, each with its
/// source. <see cref="IsSignalFrame"/> marks a frame that was interrupted by a signal or is
/// the signal trampoline, so the frame above has an exact pc.
/// </summary>
public sealed record StackFrame(
    int Index, ulong Pc, ulong Sp, FrameTrust Trust, CodeModule? Module, FunctionRange? Function, bool IsSignalFrame,
    RecoveredRegisters Registers)
{
    public string TrustLabel => Trust.Label();

    /// <summary>The frame's CFA, when the next frame was found through its CFI.</summary>
    /// <remarks>
    /// Set by the unwinder once it has stepped from this frame, before the frame leaves the walk:
    /// a copy of every frame to add its CFA was about 1 MiB for a thousand threads' 11,400 frames.
    /// </remarks>
    public ulong? Cfa { get; internal set; }

    /// <summary>Why a stronger method was not used, or what confirmed a scanned return address.</summary>
    public string? Note { get; init; }

    /// <summary>The module-relative offset of <see cref="Pc"/> (link-time address), when the module is known.</summary>
    public ulong? ModuleAddress => Module is null ? null : Pc - Module.LoadBias;

    public RecoveredRegister? Register(int dwarfRegister) => Registers.FirstOrDefault(r => r.Register == dwarfRegister);

    public override string ToString() =>
        $"#{Index} 0x{Pc:x} sp=0x{Sp:x} {TrustLabel}{(Module is null ? "" : $" {Module.Name}")}{(Function?.Name is { } n ? $" {n}" : "")}";
}

/// <summary>The frames of one thread, innermost first, and why the walk stopped.</summary>
public sealed record StackWalk(IReadOnlyList<StackFrame> Frames, string StopReason);
