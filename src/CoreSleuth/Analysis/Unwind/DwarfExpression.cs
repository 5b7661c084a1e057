using System.Buffers.Binary;

namespace CoreSleuth.Analysis.Unwind;

/// <summary>What an expression may read: the registers of the frame being unwound, memory, and the CFA.</summary>
public interface IDwarfExpressionContext
{
    bool TryGetRegister(int dwarfRegister, out ulong value);

    /// <summary>Reads <paramref name="size"/> (1–8) little-endian bytes at <paramref name="address"/>, zero-extended.</summary>
    bool TryReadMemory(ulong address, int size, out ulong value);

    /// <summary>The CFA, for DW_OP_call_frame_cfa; null while the CFA itself is being computed.</summary>
    ulong? Cfa { get; }
}

/// <summary>
/// The result of a DWARF expression: a value (address or, for val_expression, the value
/// itself), or — for a DW_OP_regN/regx expression — the register that holds it.
/// </summary>
public readonly record struct DwarfExpressionResult(ulong Value, int? InRegister, string? Error)
{
    public bool IsSuccess => Error is null;
}

/// <summary>
/// A bounded DWARF expression evaluator (DWARF 4 §2.5) for the operations CFI uses: constants,
/// stack manipulation, arithmetic and logic, comparisons, branches, register-relative
/// addresses, memory dereferences and DW_OP_call_frame_cfa. At most <see cref="MaxSteps"/>
/// operations run and the stack never exceeds <see cref="MaxStack"/> entries.
/// </summary>
public static class DwarfExpression
{
    public const int MaxSteps = 10_000, MaxStack = 256;

    public static DwarfExpressionResult Evaluate(ReadOnlySpan<byte> expression, IDwarfExpressionContext context, ulong? initial = null)
    {
        var stack = new List<ulong>(16);
        if (initial is { } init) stack.Add(init);
        var r = new CfiReader(expression, 0);
        try
        {
            for (int steps = 0; !r.AtEnd; steps++)
            {
                if (steps >= MaxSteps) return Fail($"more than {MaxSteps} operations (a loop?)");
                byte op = r.U8();
                switch (op)
                {
                    case 0x03: Push(stack, r.U64()); break;                       // DW_OP_addr
                    case 0x06: Push(stack, Read(context, Pop(stack), 8)); break;  // DW_OP_deref
                    case 0x08: Push(stack, r.U8()); break;                        // const1u
                    case 0x09: Push(stack, (ulong)(long)(sbyte)r.U8()); break;    // const1s
                    case 0x0a: Push(stack, r.U16()); break;                       // const2u
                    case 0x0b: Push(stack, (ulong)(long)(short)r.U16()); break;   // const2s
                    case 0x0c: Push(stack, r.U32()); break;                       // const4u
                    case 0x0d: Push(stack, (ulong)(long)(int)r.U32()); break;     // const4s
                    case 0x0e: Push(stack, r.U64()); break;                       // const8u
                    case 0x0f: Push(stack, r.U64()); break;                       // const8s
                    case 0x10: Push(stack, r.Uleb()); break;                      // constu
                    case 0x11: Push(stack, unchecked((ulong)r.Sleb())); break;    // consts
                    case 0x12: Push(stack, Peek(stack, 0)); break;                // dup
                    case 0x13: Pop(stack); break;                                 // drop
                    case 0x14: Push(stack, Peek(stack, 1)); break;                // over
                    case 0x15: Push(stack, Peek(stack, r.U8())); break;           // pick
                    case 0x16:                                                    // swap
                        {
                            ulong a = Pop(stack), b = Pop(stack);
                            Push(stack, a); Push(stack, b);
                            break;
                        }
                    case 0x17:                                                    // rot: (c b a) → (a c b), top first
                        {
                            ulong a = Pop(stack), b = Pop(stack), c = Pop(stack);
                            Push(stack, a); Push(stack, c); Push(stack, b);
                            break;
                        }
                    case 0x19: { long a = (long)Pop(stack); Push(stack, (ulong)(a < 0 ? unchecked(-a) : a)); break; } // abs
                    case 0x1a: Binary(stack, (a, b) => a & b); break;             // and
                    case 0x1b:                                                    // div (signed)
                        {
                            long b = (long)Pop(stack), a = (long)Pop(stack);
                            if (b == 0) return Fail("DW_OP_div by zero");
                            Push(stack, (ulong)(b == -1 ? unchecked(-a) : a / b));
                            break;
                        }
                    case 0x1c: Binary(stack, (a, b) => unchecked(a - b)); break;  // minus
                    case 0x1d:                                                    // mod
                        {
                            ulong b = Pop(stack), a = Pop(stack);
                            if (b == 0) return Fail("DW_OP_mod by zero");
                            Push(stack, a % b);
                            break;
                        }
                    case 0x1e: Binary(stack, (a, b) => unchecked(a * b)); break;  // mul
                    case 0x1f: Push(stack, unchecked(0 - Pop(stack))); break;     // neg
                    case 0x20: Push(stack, ~Pop(stack)); break;                   // not
                    case 0x21: Binary(stack, (a, b) => a | b); break;             // or
                    case 0x22: Binary(stack, (a, b) => unchecked(a + b)); break;  // plus
                    case 0x23: Push(stack, unchecked(Pop(stack) + r.Uleb())); break; // plus_uconst
                    case 0x24: Binary(stack, (a, b) => b >= 64 ? 0 : a << (int)b); break;  // shl
                    case 0x25: Binary(stack, (a, b) => b >= 64 ? 0 : a >> (int)b); break;  // shr
                    case 0x26: Binary(stack, (a, b) => (ulong)((long)a >> (int)Math.Min(b, 63))); break; // shra
                    case 0x27: Binary(stack, (a, b) => a ^ b); break;             // xor
                    case 0x28:                                                    // bra
                        {
                            short offset = (short)r.U16();
                            if (Pop(stack) != 0) Jump(ref r, offset);
                            break;
                        }
                    case 0x29: Compare(stack, (a, b) => a == b); break;           // eq
                    case 0x2a: Compare(stack, (a, b) => a >= b); break;           // ge
                    case 0x2b: Compare(stack, (a, b) => a > b); break;            // gt
                    case 0x2c: Compare(stack, (a, b) => a <= b); break;           // le
                    case 0x2d: Compare(stack, (a, b) => a < b); break;            // lt
                    case 0x2e: Compare(stack, (a, b) => a != b); break;           // ne
                    case 0x2f: Jump(ref r, (short)r.U16()); break;                // skip
                    case >= 0x30 and <= 0x4f: Push(stack, (ulong)(op - 0x30)); break; // lit0–31
                    case >= 0x50 and <= 0x6f:                                     // reg0–31: the value is in a register
                        if (!r.AtEnd) return Fail("DW_OP_reg is not the last operation");
                        return InRegister(context, op - 0x50);
                    case >= 0x70 and <= 0x8f:                                     // breg0–31
                        Push(stack, unchecked(Register(context, op - 0x70) + (ulong)r.Sleb()));
                        break;
                    case 0x90:                                                    // regx
                        {
                            int reg = r.UlebInt("register number");
                            if (!r.AtEnd) return Fail("DW_OP_regx is not the last operation");
                            return InRegister(context, reg);
                        }
                    case 0x92:                                                    // bregx
                        {
                            int reg = r.UlebInt("register number");
                            Push(stack, unchecked(Register(context, reg) + (ulong)r.Sleb()));
                            break;
                        }
                    case 0x94:                                                    // deref_size
                        {
                            int size = r.U8();
                            if (size is < 1 or > 8) return Fail($"DW_OP_deref_size of {size} bytes");
                            Push(stack, Read(context, Pop(stack), size));
                            break;
                        }
                    case 0x96: break;                                             // nop
                    case 0x9c:                                                    // call_frame_cfa
                        if (context.Cfa is not { } cfa) return Fail("DW_OP_call_frame_cfa while the CFA is being computed");
                        Push(stack, cfa);
                        break;
                    default:
                        return Fail($"unsupported operation 0x{op:x2} at offset {r.Position - 1}");
                }
            }
            if (stack.Count == 0) return Fail("the expression left an empty stack");
            return new DwarfExpressionResult(stack[^1], null, null);
        }
        catch (CfiFormatException e)
        {
            return Fail(e.Message);
        }
    }

    private static DwarfExpressionResult Fail(string message) => new(0, null, message);

    private static DwarfExpressionResult InRegister(IDwarfExpressionContext context, int register) =>
        context.TryGetRegister(register, out ulong v)
            ? new DwarfExpressionResult(v, register, null)
            : Fail($"register {DwarfRegisters.Name(register)} is not known in this frame");

    private static ulong Register(IDwarfExpressionContext context, int register) =>
        context.TryGetRegister(register, out ulong v) ? v : throw new CfiFormatException($"register {DwarfRegisters.Name(register)} is not known in this frame");

    private static ulong Read(IDwarfExpressionContext context, ulong address, int size) =>
        context.TryReadMemory(address, size, out ulong v) ? v : throw new CfiFormatException($"memory at 0x{address:x} is unavailable");

    private static void Jump(ref CfiReader r, short offset)
    {
        long to = r.Position + (long)offset;
        if (to < 0 || to > r.Length) throw new CfiFormatException($"branch to offset {to} outside the expression");
        r.Position = (int)to;
    }

    private static void Push(List<ulong> stack, ulong value)
    {
        if (stack.Count >= MaxStack) throw new CfiFormatException($"stack deeper than {MaxStack}");
        stack.Add(value);
    }

    private static ulong Pop(List<ulong> stack)
    {
        if (stack.Count == 0) throw new CfiFormatException("stack underflow");
        ulong v = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return v;
    }

    private static ulong Peek(List<ulong> stack, int depth)
    {
        if (depth >= stack.Count) throw new CfiFormatException($"stack has no entry {depth}");
        return stack[stack.Count - 1 - depth];
    }

    private static void Binary(List<ulong> stack, Func<ulong, ulong, ulong> f)
    {
        ulong b = Pop(stack), a = Pop(stack);
        Push(stack, f(a, b));
    }

    private static void Compare(List<ulong> stack, Func<long, long, bool> f)
    {
        long b = (long)Pop(stack), a = (long)Pop(stack);
        Push(stack, f(a, b) ? 1UL : 0UL);
    }
}
