using CoreSleuth.Analysis.Modules;
using CoreSleuth.Model;
using Iced.Intel;

namespace CoreSleuth.Analysis.Crash;

/// <summary>
/// The instruction at a thread's rip, as Intel syntax, and what its memory operand reads or
/// writes, computed from the thread's registers.
/// </summary>
/// <param name="Text">e.g. <c>mov rax, [rbx+0x10]</c>; null when the bytes do not decode.</param>
/// <param name="Access">A sentence about the memory it accesses ("a read of address 0x10 through a null pointer (rbx = 0)"), or null when it accesses none or the registers cannot tell.</param>
/// <param name="EffectiveAddress">The address the memory operand names, when the registers give it.</param>
public sealed record DecodedInstruction(ulong Address, byte[] Bytes, string? Text, string? Access, ulong? EffectiveAddress)
{
    /// <summary>Where the code bytes came from: "core memory" or "the file of /lib/libc.so.7".</summary>
    public string? Source { get; init; }
}

public static class FaultingInstruction
{
    /// <summary>The longest x86 instruction.</summary>
    public const int MaxLength = 15;

    /// <summary>Pointers below this lie in the first page, which FreeBSD never maps (vm.pmap: no user page at 0).</summary>
    public const ulong FirstPageEnd = 0x1000;

    /// <summary>
    /// The code bytes at <paramref name="rip"/>: from the core's memory, else from the module's file
    /// (--sysroot, --binary), as the syscall decoder reads them (kernel cores lack read-only text, spec §1.3).
    /// </summary>
    public static byte[] ReadCode(ulong rip, CoreFile core, ModuleMap? modules, out string? source)
    {
        var buffer = new byte[MaxLength];
        int got = core.Memory.Read(rip, buffer);
        source = "core memory";
        if (got < MaxLength && modules?.FindByAddress(rip) is { } m)
        {
            foreach (var image in new[] { m.DiskImage, m.Image })
            {
                if (image is null) continue;
                var fromFile = new byte[MaxLength];
                int read = image.View.Read(rip - m.LoadBias, fromFile);
                if (read > got)
                {
                    buffer = fromFile;
                    got = read;
                    source = image.View is FileImageView ? $"the file of {m.Path}" : image.View.Origin;
                }
            }
        }
        if (got == 0) source = null;
        return buffer[..got];
    }

    /// <summary>The instruction at the thread's rip, its bytes read by <see cref="ReadCode"/> (whose source it records), decoded.</summary>
    public static DecodedInstruction? At(Registers registers, CoreFile core, ModuleMap? modules, ulong? faultAddress) =>
        Decode(ReadCode(registers.Rip, core, modules, out string? source), registers.Rip, registers, faultAddress) is { } d ? d with { Source = source } : null;

    /// <summary>Decodes the first instruction of <paramref name="code"/> (at <paramref name="rip"/>); null when there are no bytes.</summary>
    public static DecodedInstruction? Decode(ReadOnlySpan<byte> code, ulong rip, Registers registers, ulong? faultAddress)
    {
        if (code.IsEmpty) return null;
        byte[] bytes = code.ToArray();
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes), rip);
        decoder.Decode(out var instruction);
        if (instruction.IsInvalid || decoder.LastError != DecoderError.None || instruction.Length > bytes.Length)
            return new DecodedInstruction(rip, bytes, null, null, null);
        bytes = bytes[..instruction.Length];
        var formatter = new IntelFormatter(new FormatterOptions
        {
            HexPrefix = "0x", HexSuffix = null, UppercaseHex = false, SpaceAfterOperandSeparator = true,
        });
        var output = new StringOutput();
        formatter.Format(instruction, output);
        var (access, address) = DescribeMemory(instruction, registers, faultAddress);
        return new DecodedInstruction(rip, bytes, output.ToStringAndReset(), access, address);
    }

    private static (string? Sentence, ulong? Address) DescribeMemory(in Instruction instruction, Registers registers, ulong? faultAddress)
    {
        var used = new InstructionInfoFactory().GetInfo(instruction).GetUsedMemory().ToList();
        bool explicitOperand = false;
        for (int i = 0; i < instruction.OpCount; i++) explicitOperand |= instruction.GetOpKind(i) == OpKind.Memory;
        Register baseRegister, index;
        int scale;
        ulong displacement;
        Register segment;
        OpAccess accessKind;
        if (explicitOperand)
        {
            baseRegister = instruction.MemoryBase;
            index = instruction.MemoryIndex;
            scale = instruction.MemoryIndexScale;
            displacement = instruction.MemoryDisplacement64;
            segment = instruction.MemorySegment;
            var b = baseRegister;
            var x = index;
            accessKind = used.Where(u => u.Base == b && u.Index == x).Select(u => u.Access).FirstOrDefault();
            if (instruction.Mnemonic == Mnemonic.Lea) return (null, null); // lea computes an address, it touches no memory
        }
        else if (used.Count > 0)
        {
            // push, pop, call, ret, string instructions: memory through rsp, rdi or rsi.
            var u = used[0];
            (baseRegister, index, scale, displacement, segment, accessKind) = (u.Base, u.Index, u.Scale, u.Displacement, u.Segment, u.Access);
        }
        else return (null, null);

        string verb = accessKind switch
        {
            OpAccess.Write or OpAccess.CondWrite => "a write to",
            OpAccess.ReadWrite or OpAccess.ReadCondWrite => "a read and write of",
            OpAccess.Read or OpAccess.CondRead => "a read of",
            _ => "an access to",
        };
        if (segment is Register.FS or Register.GS)
            return ($"{verb} thread-local memory ({segment.ToString().ToLowerInvariant()}-relative; the segment base is not among the registers)", null);

        ulong address;
        if (baseRegister is Register.RIP or Register.EIP) address = instruction.IPRelativeMemoryAddress;
        else
        {
            if (!TryValue(baseRegister, registers, out ulong baseValue) || !TryValue(index, registers, out ulong indexValue)) return (null, null);
            address = baseValue + indexValue * (ulong)Math.Max(scale, 1) + displacement;
        }

        string where = $"{verb} address 0x{address:x}";
        string sentence;
        if (baseRegister != Register.None && baseRegister is not (Register.RIP or Register.EIP) && TryValue(baseRegister, registers, out ulong pointer))
        {
            string name = Name(baseRegister);
            sentence = pointer == 0 ? $"{where} through a null pointer ({name} = 0)"
                : pointer < FirstPageEnd ? $"{where} through {name} = 0x{pointer:x}, a pointer into the first page, which is never mapped"
                : $"{where} ({name} = 0x{pointer:x}{Offset(displacement)}{IndexText(index, registers, scale)})";
        }
        else if (index != Register.None && TryValue(index, registers, out ulong i))
            sentence = $"{where} ({Name(index)} = 0x{i:x}, scaled by {scale}{Offset(displacement)})";
        else sentence = where;

        if (faultAddress is { } fault && fault != address)
            sentence += $"; the kernel reported 0x{fault:x} as the fault address, not this one";
        return (sentence, address);
    }

    private static string Offset(ulong displacement) =>
        displacement == 0 ? "" : (long)displacement < 0 ? $", minus 0x{(ulong)-(long)displacement:x}" : $", plus 0x{displacement:x}";

    private static string IndexText(Register index, Registers registers, int scale) =>
        index != Register.None && TryValue(index, registers, out ulong v) ? $", {Name(index)} = 0x{v:x} × {scale}" : "";

    private static string Name(Register r) => r.ToString().ToLowerInvariant();

    /// <summary>A general register's value (a 32-bit register is the low half of its 64-bit one); false for others.</summary>
    private static bool TryValue(Register register, Registers r, out ulong value)
    {
        value = 0;
        if (register == Register.None) return true;
        ulong? full = register.GetFullRegister() switch
        {
            Register.RAX => r.Rax, Register.RBX => r.Rbx, Register.RCX => r.Rcx, Register.RDX => r.Rdx,
            Register.RSI => r.Rsi, Register.RDI => r.Rdi, Register.RBP => r.Rbp, Register.RSP => r.Rsp,
            Register.R8 => r.R8, Register.R9 => r.R9, Register.R10 => r.R10, Register.R11 => r.R11,
            Register.R12 => r.R12, Register.R13 => r.R13, Register.R14 => r.R14, Register.R15 => r.R15,
            Register.RIP => r.Rip,
            _ => null,
        };
        if (full is not { } v) return false;
        value = register.GetSize() == 4 ? v & 0xFFFF_FFFF : v;
        return true;
    }
}
