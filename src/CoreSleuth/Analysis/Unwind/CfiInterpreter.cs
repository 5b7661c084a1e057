namespace CoreSleuth.Analysis.Unwind;

public enum CfaRuleKind
{
    /// <summary>CFA = register + offset.</summary>
    RegisterOffset,
    /// <summary>CFA = value of a DWARF expression.</summary>
    Expression,
}

/// <summary>How to compute the Canonical Frame Address of a row (DWARF 4 §6.4.1).</summary>
public readonly record struct CfaRule(CfaRuleKind Kind, int Register, long Offset, ReadOnlyMemory<byte> Expression)
{
    public static CfaRule RegisterPlus(int register, long offset) => new(CfaRuleKind.RegisterOffset, register, offset, default);

    public override string ToString() => Kind == CfaRuleKind.RegisterOffset
        ? $"{DwarfRegisters.Name(Register)}{Offset:+0;-0;+0}"
        : $"expr[{Expression.Length}]";
}

/// <summary>DWARF 4 §6.4.1 register rules. A register with no rule in a row is "unspecified".</summary>
public enum RegisterRuleKind
{
    /// <summary>The caller's value is not recoverable.</summary>
    Undefined,
    /// <summary>The caller's value is the callee's value.</summary>
    SameValue,
    /// <summary>Saved at address CFA + N.</summary>
    Offset,
    /// <summary>The value is CFA + N.</summary>
    ValOffset,
    /// <summary>Saved in another register.</summary>
    Register,
    /// <summary>Saved at the address an expression computes (the CFA is pushed first).</summary>
    Expression,
    /// <summary>The value an expression computes (the CFA is pushed first).</summary>
    ValExpression,
}

public readonly record struct RegisterRule(RegisterRuleKind Kind, long Offset, int Register, ReadOnlyMemory<byte> Expression)
{
    public static readonly RegisterRule Undefined = new(RegisterRuleKind.Undefined, 0, 0, default);
    public static readonly RegisterRule SameValue = new(RegisterRuleKind.SameValue, 0, 0, default);
    public static RegisterRule AtCfa(long offset) => new(RegisterRuleKind.Offset, offset, 0, default);
    public static RegisterRule ValAtCfa(long offset) => new(RegisterRuleKind.ValOffset, offset, 0, default);
    public static RegisterRule InRegister(int register) => new(RegisterRuleKind.Register, 0, register, default);

    public override string ToString() => Kind switch
    {
        RegisterRuleKind.Undefined => "undefined",
        RegisterRuleKind.SameValue => "same",
        RegisterRuleKind.Offset => $"[CFA{Offset:+0;-0;+0}]",
        RegisterRuleKind.ValOffset => $"CFA{Offset:+0;-0;+0}",
        RegisterRuleKind.Register => DwarfRegisters.Name(Register),
        RegisterRuleKind.Expression => $"[expr[{Expression.Length}]]",
        _ => $"expr[{Expression.Length}]",
    };
}

/// <summary>
/// One row of the CFI table: the rules in effect for pcs in [<see cref="Address"/>, <see cref="EndAddress"/>).
/// <see cref="Registers"/> holds only registers that have a rule (sorted by register number).
/// </summary>
public sealed record CfiRow(ulong Address, ulong EndAddress, CfaRule Cfa, IReadOnlyList<KeyValuePair<int, RegisterRule>> Registers, Fde Fde)
{
    public int ReturnAddressRegister => Fde.Cie.ReturnAddressRegister;
    public bool IsSignalFrame => Fde.Cie.IsSignalFrame;

    private RegisterRule?[]? byRegister;

    /// <summary>The rule for <paramref name="register"/>, or null when it is unspecified.</summary>
    public RegisterRule? RuleFor(int register)
    {
        if (register is >= 0 and < DwarfRegisters.Count) return GeneralRules[register];
        for (int i = 0; i < Registers.Count; i++)
            if (Registers[i].Key == register) return Registers[i].Value;
        return null;
    }

    /// <summary>
    /// The rules of DWARF registers 0–16 by number (null where unspecified), indexed once per row:
    /// asked for every general register of every frame.
    /// </summary>
    internal ReadOnlySpan<RegisterRule?> GeneralRules
    {
        get
        {
            // Two threads may index a shared row at once: each builds the same table.
            if (byRegister is { } known) return known;
            var table = new RegisterRule?[DwarfRegisters.Count];
            for (int i = 0; i < Registers.Count; i++)
                if (Registers[i].Key is >= 0 and < DwarfRegisters.Count) table[Registers[i].Key] = Registers[i].Value;
            return byRegister = table;
        }
    }

    public override string ToString() =>
        $"0x{Address:x}: CFA={Cfa}" + (Registers.Count == 0 ? "" : ": " + string.Join(", ", Registers.Select(r => $"{DwarfRegisters.Name(r.Key)}={r.Value}")));
}

/// <summary>
/// Runs the DW_CFA_* programs of a CIE and an FDE (DWARF 4 §6.4.2) to produce table rows.
/// Bounded by construction: every instruction consumes at least one byte of the FDE, the
/// remember/restore stack has a fixed depth, and operands that run past the FDE are errors.
/// </summary>
public static class CfiInterpreter
{
    public const int MaxRememberDepth = 64;

    // Primary opcodes (high two bits) and extended opcodes (DWARF 4 §7.23, GNU extensions).
    private const byte AdvanceLoc = 0x40, Offset = 0x80, Restore = 0xc0;
    private const byte Nop = 0x00, SetLoc = 0x01, AdvanceLoc1 = 0x02, AdvanceLoc2 = 0x03, AdvanceLoc4 = 0x04,
        OffsetExtended = 0x05, RestoreExtended = 0x06, Undefined = 0x07, SameValue = 0x08, Register = 0x09,
        RememberState = 0x0a, RestoreState = 0x0b, DefCfa = 0x0c, DefCfaRegister = 0x0d, DefCfaOffset = 0x0e,
        DefCfaExpression = 0x0f, Expression = 0x10, OffsetExtendedSf = 0x11, DefCfaSf = 0x12, DefCfaOffsetSf = 0x13,
        ValOffset = 0x14, ValOffsetSf = 0x15, ValExpression = 0x16, GnuArgsSize = 0x2e, GnuNegativeOffsetExtended = 0x2f;

    /// <summary>The row in effect at <paramref name="pc"/>, which must lie in the FDE's range.</summary>
    public static CfiResult<CfiRow> RowAt(Fde fde, ulong pc)
    {
        if (!fde.Contains(pc)) return CfiResult<CfiRow>.Failure($"0x{pc:x} is outside {fde}");
        try
        {
            var rows = Run(fde, pc);
            return CfiResult<CfiRow>.Success(rows[^1]);
        }
        catch (CfiFormatException e)
        {
            return CfiResult<CfiRow>.Failure($"{fde}: {e.Message}");
        }
    }

    /// <summary>Every row of the FDE's table, in address order (rows of zero length are folded into the next).</summary>
    public static CfiResult<IReadOnlyList<CfiRow>> Table(Fde fde)
    {
        try { return CfiResult<IReadOnlyList<CfiRow>>.Success(Run(fde, null)); }
        catch (CfiFormatException e) { return CfiResult<IReadOnlyList<CfiRow>>.Failure($"{fde}: {e.Message}"); }
    }

    private sealed class State
    {
        public CfaRule Cfa;
        public Dictionary<int, RegisterRule> Rules = [];

        public State Clone() => new() { Cfa = Cfa, Rules = new Dictionary<int, RegisterRule>(Rules) };
    }

    private static List<CfiRow> Run(Fde fde, ulong? target)
    {
        var cie = fde.Cie;
        var state = new State { Cfa = CfaRule.RegisterPlus(DwarfRegisters.Rsp, 0) };
        ulong location = fde.PcBegin;
        var rows = new List<CfiRow>();
        // The CIE's initial instructions set the starting rules; DW_CFA_restore returns to them.
        Execute(cie.Instructions, cie.InstructionsAddress, fde, state, null, ref location, null, rows, isCie: true);
        var initial = state.Clone();
        location = fde.PcBegin;
        if (Execute(fde.Instructions, fde.InstructionsAddress, fde, state, initial, ref location, target, rows, isCie: false)) return rows;
        if (location < fde.PcEnd || rows.Count == 0) rows.Add(Snapshot(state, location, fde.PcEnd, fde));
        return rows;
    }

    private static CfiRow Snapshot(State s, ulong from, ulong to, Fde fde) =>
        new(from, to, s.Cfa, s.Rules.OrderBy(kv => kv.Key).ToArray(), fde);

    /// <summary>Runs one program; true when it stopped at the row covering <paramref name="target"/>.</summary>
    private static bool Execute(ReadOnlyMemory<byte> program, ulong programAddress, Fde fde, State state, State? initial,
        ref ulong location, ulong? target, List<CfiRow> rows, bool isCie)
    {
        var cie = fde.Cie;
        var r = new CfiReader(program.Span, programAddress);
        var stack = new Stack<State>();
        var bases = new EhBases(0, 0, 0);
        while (!r.AtEnd)
        {
            byte op = r.U8();
            ulong? newLocation = null;
            switch (op & 0xc0)
            {
                case AdvanceLoc:
                    newLocation = Advance(location, (ulong)(op & 0x3f), cie);
                    break;
                case Offset:
                    state.Rules[op & 0x3f] = RegisterRule.AtCfa(Factored(r.Uleb(), cie));
                    break;
                case Restore:
                    RestoreRule(state, initial, op & 0x3f, isCie);
                    break;
                default:
                    switch (op)
                    {
                        case Nop: break;
                        case SetLoc:
                            {
                                ulong to = r.Pointer(cie.FdeEncoding, bases, out bool indirect);
                                if (indirect) throw new CfiFormatException("DW_CFA_set_loc with an indirect address");
                                newLocation = to;
                                break;
                            }
                        case AdvanceLoc1: newLocation = Advance(location, r.U8(), cie); break;
                        case AdvanceLoc2: newLocation = Advance(location, r.U16(), cie); break;
                        case AdvanceLoc4: newLocation = Advance(location, r.U32(), cie); break;
                        case OffsetExtended:
                            {
                                int reg = Reg(ref r);
                                state.Rules[reg] = RegisterRule.AtCfa(Factored(r.Uleb(), cie));
                                break;
                            }
                        case OffsetExtendedSf:
                            {
                                int reg = Reg(ref r);
                                state.Rules[reg] = RegisterRule.AtCfa(FactoredSigned(r.Sleb(), cie));
                                break;
                            }
                        case GnuNegativeOffsetExtended:
                            {
                                int reg = Reg(ref r);
                                state.Rules[reg] = RegisterRule.AtCfa(unchecked(-Factored(r.Uleb(), cie)));
                                break;
                            }
                        case RestoreExtended: RestoreRule(state, initial, Reg(ref r), isCie); break;
                        case Undefined: state.Rules[Reg(ref r)] = RegisterRule.Undefined; break;
                        case SameValue: state.Rules[Reg(ref r)] = RegisterRule.SameValue; break;
                        case Register:
                            {
                                int reg = Reg(ref r);
                                state.Rules[reg] = RegisterRule.InRegister(Reg(ref r));
                                break;
                            }
                        case RememberState:
                            if (stack.Count >= MaxRememberDepth)
                                throw new CfiFormatException($"DW_CFA_remember_state nested deeper than {MaxRememberDepth}");
                            // Like libgcc and libunwind, the remembered state includes the CFA rule.
                            stack.Push(state.Clone());
                            break;
                        case RestoreState:
                            {
                                if (stack.Count == 0) throw new CfiFormatException($"DW_CFA_restore_state at 0x{r.Address - 1:x} without a remembered state");
                                var s = stack.Pop();
                                state.Cfa = s.Cfa;
                                state.Rules = s.Rules;
                                break;
                            }
                        case DefCfa:
                            {
                                int reg = Reg(ref r);
                                state.Cfa = CfaRule.RegisterPlus(reg, checked((long)Math.Min(r.Uleb(), long.MaxValue)));
                                break;
                            }
                        case DefCfaSf:
                            {
                                int reg = Reg(ref r);
                                state.Cfa = CfaRule.RegisterPlus(reg, FactoredSigned(r.Sleb(), cie));
                                break;
                            }
                        case DefCfaRegister:
                            {
                                int reg = Reg(ref r);
                                if (state.Cfa.Kind != CfaRuleKind.RegisterOffset)
                                    throw new CfiFormatException("DW_CFA_def_cfa_register while the CFA is an expression");
                                state.Cfa = state.Cfa with { Register = reg };
                                break;
                            }
                        case DefCfaOffset:
                            {
                                ulong off = r.Uleb();
                                if (state.Cfa.Kind != CfaRuleKind.RegisterOffset)
                                    throw new CfiFormatException("DW_CFA_def_cfa_offset while the CFA is an expression");
                                state.Cfa = state.Cfa with { Offset = (long)Math.Min(off, long.MaxValue) };
                                break;
                            }
                        case DefCfaOffsetSf:
                            {
                                long off = FactoredSigned(r.Sleb(), cie);
                                if (state.Cfa.Kind != CfaRuleKind.RegisterOffset)
                                    throw new CfiFormatException("DW_CFA_def_cfa_offset_sf while the CFA is an expression");
                                state.Cfa = state.Cfa with { Offset = off };
                                break;
                            }
                        case DefCfaExpression:
                            state.Cfa = new CfaRule(CfaRuleKind.Expression, 0, 0, Block(ref r, program));
                            break;
                        case Expression:
                            {
                                int reg = Reg(ref r);
                                state.Rules[reg] = new RegisterRule(RegisterRuleKind.Expression, 0, 0, Block(ref r, program));
                                break;
                            }
                        case ValExpression:
                            {
                                int reg = Reg(ref r);
                                state.Rules[reg] = new RegisterRule(RegisterRuleKind.ValExpression, 0, 0, Block(ref r, program));
                                break;
                            }
                        case ValOffset:
                            {
                                int reg = Reg(ref r);
                                state.Rules[reg] = RegisterRule.ValAtCfa(Factored(r.Uleb(), cie));
                                break;
                            }
                        case ValOffsetSf:
                            {
                                int reg = Reg(ref r);
                                state.Rules[reg] = RegisterRule.ValAtCfa(FactoredSigned(r.Sleb(), cie));
                                break;
                            }
                        case GnuArgsSize:
                            r.Uleb(); // outgoing argument bytes: irrelevant to recovering registers
                            break;
                        default:
                            throw new CfiFormatException($"unknown call frame instruction 0x{op:x2} at 0x{r.Address - 1:x}");
                    }
                    break;
            }

            if (newLocation is not { } next) continue;
            if (isCie) continue; // a location change in a CIE's initial instructions has no row to start
            if (next < location) throw new CfiFormatException($"the location moves backwards to 0x{next:x} at 0x{r.Address:x}");
            if (target is { } pc && next > pc)
            {
                rows.Add(Snapshot(state, location, next, fde));
                location = next;
                // The row covering the target is complete: stop (later bytes may be malformed without mattering).
                return true;
            }
            if (target is null && next > location && location < fde.PcEnd) rows.Add(Snapshot(state, location, Math.Min(next, fde.PcEnd), fde));
            location = next;
        }
        return false;
    }

    private static int Reg(ref CfiReader r) => r.UlebInt("register number");

    private static ReadOnlyMemory<byte> Block(ref CfiReader r, ReadOnlyMemory<byte> program)
    {
        int length = r.UlebInt("expression length");
        int at = r.Position;
        r.Take(length);
        return program.Slice(at, length);
    }

    private static ulong Advance(ulong location, ulong delta, Cie cie)
    {
        ulong step = unchecked(delta * cie.CodeAlignment);
        if (cie.CodeAlignment != 0 && step / cie.CodeAlignment != delta) throw new CfiFormatException("location advance overflows");
        ulong next = unchecked(location + step);
        if (next < location) throw new CfiFormatException("location advance wraps around");
        return next;
    }

    private static long Factored(ulong value, Cie cie) => unchecked((long)value * cie.DataAlignment);
    private static long FactoredSigned(long value, Cie cie) => unchecked(value * cie.DataAlignment);

    private static void RestoreRule(State state, State? initial, int register, bool isCie)
    {
        if (isCie || initial is null) throw new CfiFormatException("DW_CFA_restore in a CIE's initial instructions");
        if (initial.Rules.TryGetValue(register, out var rule)) state.Rules[register] = rule;
        else state.Rules.Remove(register);
    }
}
