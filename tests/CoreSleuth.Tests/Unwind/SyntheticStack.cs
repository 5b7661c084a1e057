using System.Buffers.Binary;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Analysis.Unwind;
using CoreSleuth.Elf;
using Iced.Intel;

namespace CoreSleuth.Tests.Unwind;

/// <summary>Test memory: a few byte arrays at fixed addresses; everything else is unavailable.</summary>
internal sealed class FakeMemory : IStackMemory
{
    private readonly List<(ulong Start, byte[] Bytes)> regions = [];

    public byte[] Add(ulong start, int size)
    {
        var bytes = new byte[size];
        regions.Add((start, bytes));
        return bytes;
    }

    public void Write64(ulong address, ulong value)
    {
        var (start, bytes) = regions.Single(r => address >= r.Start && address + 8 <= r.Start + (ulong)r.Bytes.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)(address - start)), value);
    }

    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        ulong length = (ulong)data.Length;
        var (start, bytes) = regions.Single(r => address >= r.Start && address + length <= r.Start + (ulong)r.Bytes.Length);
        data.CopyTo(bytes.AsSpan((int)(address - start)));
    }

    public int Read(ulong address, Span<byte> destination)
    {
        foreach (var (start, bytes) in regions)
        {
            if (address < start || address >= start + (ulong)bytes.Length) continue;
            int n = (int)Math.Min((ulong)destination.Length, start + (ulong)bytes.Length - address);
            bytes.AsSpan((int)(address - start), n).CopyTo(destination);
            return n;
        }
        return 0;
    }

    public string Explain(ulong address) => $"0x{address:x} is not in the core";

    public AddressRange? RegionOf(ulong address)
    {
        foreach (var (start, bytes) in regions)
            if (address >= start && address < start + (ulong)bytes.Length) return new AddressRange(start, start + (ulong)bytes.Length);
        return null;
    }
}

internal sealed class FakeCode(IEnumerable<CodeModule> modules, AddressRange? trampoline = null) : ICfiProvider
{
    private readonly CodeModule[] modules = modules.ToArray();
    public CodeModule? FindModule(ulong address) => modules.FirstOrDefault(m => m.IsExecutable(address));
    public bool IsExecutable(ulong address) => FindModule(address) is not null;
    public AddressRange? SignalTrampoline => trampoline;
}

/// <summary>
/// FreeBSD 13.5 libc.so.7 placed at a load bias, with call sites found by decoding its real code
/// with Iced (independently of the unwinder): functions with a frame-pointer prologue
/// (push %rbp; mov %rsp,%rbp; push callee-saved…) and direct calls between them.
/// </summary>
internal sealed class LibcCode : IDisposable
{
    public const ulong Bias = 0x8011_56000;

    private readonly UnwindCorpus.OpenedElf file = new("freebsd13.5/libc.so.7");

    public LibcCode()
    {
        Image = ElfImage.FromFile(file.Elf, Bias);
        Symbols = Image.Symbols.Where(s => s.IsDefined && s.IsFunction && s.Size > 16).OrderBy(s => s.Value).ToList();
        WithCfi = new CodeModule("libc.so.7", Bias, file.View, file.Elf.ProgramHeaders, Image.Symbols);
        WithoutCfi = new CodeModule("libc.so.7", Bias, file.View,
            file.Elf.ProgramHeaders.Where(p => p.Type != EhFrame.PT_GNU_EH_FRAME).ToList(), Image.Symbols);
        WithoutCode = new CodeModule("libc.so.7", Bias, new NoBytes(),
            file.Elf.ProgramHeaders.Where(p => p.Type != EhFrame.PT_GNU_EH_FRAME).ToList(), Image.Symbols);
        FindCallSites();
    }

    public ElfImage Image { get; }
    public List<ElfSymbol> Symbols { get; }
    public CodeModule WithCfi { get; }
    public CodeModule WithoutCfi { get; }

    /// <summary>The module as a core without text and no --sysroot shows it: mapped, named, but no byte of code.</summary>
    public CodeModule WithoutCode { get; }

    private sealed class NoBytes : IImageView
    {
        public string Origin => "nothing (no code)";
        public int Read(ulong address, Span<byte> destination) => 0;
    }

    /// <summary>A function F1 with a frame-pointer prologue whose body calls F0 (also with such a prologue) directly.</summary>
    public Prologue Caller { get; private set; } = null!;
    public Prologue Callee { get; private set; } = null!;

    /// <summary>Process address just after Caller's "call Callee".</summary>
    public ulong ReturnToCaller { get; private set; }

    /// <summary>Process address just after some direct call whose target is not Callee.</summary>
    public ulong ReturnFromOtherCall { get; private set; }

    /// <summary>A function whose last instruction is a direct call (to a function that does not return): its return address is the next function's first byte.</summary>
    public ElfSymbol? EndsWithCall { get; private set; }

    public sealed record Prologue(ElfSymbol Symbol, ulong Start, ulong End, ulong BodyStart, IReadOnlyList<Register> Pushes)
    {
        /// <summary>Where the prologue saved <paramref name="r"/>, relative to the CFA (rbp+16): push order after "mov %rsp,%rbp".</summary>
        public long SlotOf(Register r) => -24 - 8L * Pushes.ToList().IndexOf(r);
    }

    public byte[] Code(ulong processAddress, int length)
    {
        var b = new byte[length];
        Assert.Equal(length, file.View.Read(processAddress - Bias, b));
        return b;
    }

    private List<Instruction> Decode(ElfSymbol s)
    {
        var bytes = Code(s.Value + Bias, (int)s.Size);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes), s.Value + Bias);
        var list = new List<Instruction>();
        while (decoder.IP < s.Value + Bias + s.Size)
        {
            decoder.Decode(out var ins);
            if (ins.IsInvalid) break;
            list.Add(ins);
        }
        return list;
    }

    private Prologue? PrologueOf(ElfSymbol s, List<Instruction> code)
    {
        if (code.Count < 3 || code[0].Mnemonic != Mnemonic.Push || code[0].Op0Register != Register.RBP) return null;
        if (code[1].Mnemonic != Mnemonic.Mov || code[1].Op0Register != Register.RBP || code[1].Op1Register != Register.RSP) return null;
        var pushes = new List<Register>();
        int i = 2;
        for (; i < code.Count && code[i].Mnemonic == Mnemonic.Push && code[i].Op0Kind == OpKind.Register; i++) pushes.Add(code[i].Op0Register);
        return new Prologue(s, s.Value + Bias, s.Value + s.Size + Bias, code[i].IP, pushes);
    }

    private void FindCallSites()
    {
        var prologues = new Dictionary<ulong, (Prologue P, List<Instruction> Code)>();
        var starts = Symbols.Select(s => s.Value).ToHashSet();
        foreach (var s in Symbols)
        {
            var code = Decode(s);
            if (PrologueOf(s, code) is { } p) prologues.TryAdd(p.Start, (p, code));
            if (EndsWithCall is null && code.Count > 0 && code[^1].FlowControl == FlowControl.Call && code[^1].NextIP == s.Value + s.Size + Bias
                && starts.Contains(s.Value + s.Size))
                EndsWithCall = s;
        }
        foreach (var (p, code) in prologues.Values.OrderBy(v => v.P.Start))
        {
            if (!p.Pushes.Contains(Register.RBX) || p.Pushes.Count < 3) continue;
            foreach (var ins in code)
            {
                if (ins.IP < p.BodyStart || ins.FlowControl != FlowControl.Call || ins.Length != 5) continue;
                if (!prologues.TryGetValue(ins.NearBranchTarget, out var callee) || callee.P.Start == p.Start) continue;
                Caller = p;
                Callee = callee.P;
                ReturnToCaller = ins.NextIP;
                // Another direct call in the caller, to some other function.
                var other = code.FirstOrDefault(o => o.FlowControl == FlowControl.Call && o.Length == 5 && o.NearBranchTarget != Callee.Start
                                                     && !new AddressRange(Callee.Start, Callee.End).Contains(o.NearBranchTarget));
                if (other.Length == 0) continue;
                ReturnFromOtherCall = other.NextIP;
                return;
            }
        }
        Assert.Fail("libc.so.7 has no suitable pair of frame-pointer functions calling each other");
    }

    public void Dispose() => file.Dispose();
}
