using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CoreSleuth.Analysis.Unwind;

namespace CoreSleuth.Tests.Unwind;

/// <summary>
/// Reads the per-FDE row tables that <c>llvm-dwarfdump --eh-frame</c> prints
/// ("0x84c10: CFA=RSP+8: RIP=[CFA-8]") and prints our rows the same way, so the two can be
/// compared as text. The printer is written here from LLVM's output format, not shared with
/// the library.
/// </summary>
internal static partial class LlvmCfiOracle
{
    public sealed record OracleFde(ulong SectionOffset, ulong PcBegin, ulong PcEnd, List<(ulong Address, string Text)> Rows);

    [GeneratedRegex(@"^([0-9a-f]{8}) ([0-9a-f]{8,16}) ([0-9a-f]{8,16}) FDE cie=([0-9a-f]{8,16}) pc=([0-9a-f]+)\.\.\.([0-9a-f]+)$")]
    private static partial Regex FdeHeader();

    [GeneratedRegex(@"^\s+0x([0-9a-f]+): (CFA=.*)$")]
    private static partial Regex RowLine();

    public static List<OracleFde> Parse(string dump)
    {
        var list = new List<OracleFde>();
        OracleFde? current = null;
        foreach (var line in dump.Split('\n'))
        {
            if (FdeHeader().Match(line) is { Success: true } h)
            {
                current = new OracleFde(Hex(h.Groups[1].Value), Hex(h.Groups[5].Value), Hex(h.Groups[6].Value), []);
                list.Add(current);
            }
            else if (line.Contains(" CIE", StringComparison.Ordinal) && line.Length > 0 && char.IsAsciiHexDigit(line[0]))
                current = null;
            else if (current is not null && RowLine().Match(line) is { Success: true } r)
                current.Rows.Add((Hex(r.Groups[1].Value), r.Groups[2].Value.TrimEnd()));
        }
        return list;
    }

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>The row in effect at <paramref name="pc"/>: the last row starting at or below it.</summary>
    public static string? RowAt(OracleFde fde, ulong pc)
    {
        string? text = null;
        foreach (var (address, t) in fde.Rows)
            if (address <= pc) text = t;
        return text;
    }

    private static readonly string[] RegisterNames =
        ["RAX", "RDX", "RCX", "RBX", "RSI", "RDI", "RBP", "RSP", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15", "RIP"];

    private static string Reg(int n) => n < RegisterNames.Length ? RegisterNames[n] : n is >= 17 and <= 32 ? $"XMM{n - 17}" : $"reg{n}";

    private static string Signed(long v) => v >= 0 ? $"+{v}" : v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Our row in llvm-dwarfdump's notation.</summary>
    public static string Format(CfiRow row)
    {
        var sb = new StringBuilder("CFA=");
        sb.Append(row.Cfa.Kind == CfaRuleKind.RegisterOffset
            ? Reg(row.Cfa.Register) + (row.Cfa.Offset == 0 ? "" : Signed(row.Cfa.Offset))
            : Expression(row.Cfa.Expression.Span));
        if (row.Registers.Count > 0)
        {
            sb.Append(": ");
            sb.Append(string.Join(", ", row.Registers.Select(kv => $"{Reg(kv.Key)}={Rule(kv.Value)}")));
        }
        return sb.ToString();
    }

    private static string Rule(RegisterRule r) => r.Kind switch
    {
        RegisterRuleKind.Undefined => "undefined",
        RegisterRuleKind.SameValue => "same",
        RegisterRuleKind.Offset => r.Offset == 0 ? "[CFA]" : $"[CFA{Signed(r.Offset)}]",
        RegisterRuleKind.ValOffset => r.Offset == 0 ? "CFA" : $"CFA{Signed(r.Offset)}",
        RegisterRuleKind.Register => Reg(r.Register),
        RegisterRuleKind.Expression => $"[{Expression(r.Expression.Span)}]",
        _ => Expression(r.Expression.Span),
    };

    private static readonly Dictionary<byte, string> SimpleOps = new()
    {
        [0x06] = "deref", [0x12] = "dup", [0x13] = "drop", [0x14] = "over", [0x16] = "swap", [0x17] = "rot", [0x19] = "abs",
        [0x1a] = "and", [0x1b] = "div", [0x1c] = "minus", [0x1d] = "mod", [0x1e] = "mul", [0x1f] = "neg", [0x20] = "not",
        [0x21] = "or", [0x22] = "plus", [0x24] = "shl", [0x25] = "shr", [0x26] = "shra", [0x27] = "xor", [0x29] = "eq",
        [0x2a] = "ge", [0x2b] = "gt", [0x2c] = "le", [0x2d] = "lt", [0x2e] = "ne", [0x96] = "nop", [0x9c] = "call_frame_cfa",
    };

    /// <summary>A DWARF expression in llvm-dwarfdump's notation (the operations the tests use).</summary>
    public static string Expression(ReadOnlySpan<byte> e)
    {
        var parts = new List<string>();
        int i = 0;
        while (i < e.Length)
        {
            byte op = e[i++];
            if (op is >= 0x30 and <= 0x4f) parts.Add($"DW_OP_lit{op - 0x30}");
            else if (op is >= 0x50 and <= 0x6f) parts.Add($"DW_OP_reg{op - 0x50} {Reg(op - 0x50)}");
            else if (op is >= 0x70 and <= 0x8f) parts.Add($"DW_OP_breg{op - 0x70} {Reg(op - 0x70)}{Signed(Sleb(e, ref i))}");
            else if (op == 0x23) parts.Add($"DW_OP_plus_uconst 0x{Uleb(e, ref i):x}");
            else if (op == 0x10) parts.Add($"DW_OP_constu 0x{Uleb(e, ref i):x}");
            else if (op == 0x11) parts.Add($"DW_OP_consts {Sleb(e, ref i)}");
            else if (op == 0x08) parts.Add($"DW_OP_const1u 0x{e[i++]:x}");
            else if (op == 0x94) parts.Add($"DW_OP_deref_size 0x{e[i++]:x}");
            else if (SimpleOps.TryGetValue(op, out var name)) parts.Add($"DW_OP_{name}");
            else parts.Add($"<op 0x{op:x2}>");
        }
        return string.Join(", ", parts);
    }

    private static ulong Uleb(ReadOnlySpan<byte> e, ref int i)
    {
        ulong v = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = e[i++];
            v |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
    }

    private static long Sleb(ReadOnlySpan<byte> e, ref int i)
    {
        long v = 0;
        int shift = 0;
        byte b;
        do { b = e[i++]; v |= (long)(b & 0x7f) << shift; shift += 7; } while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0) v |= -1L << shift;
        return v;
    }
}
