namespace CoreSleuth.Analysis.Unwind;

/// <summary>
/// DWARF register numbers of x86-64 (System V psABI, "DWARF Register Number Mapping"):
/// 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8–15 r8–r15, 16 the return address (rip).
/// </summary>
public static class DwarfRegisters
{
    public const int Rax = 0, Rdx = 1, Rcx = 2, Rbx = 3, Rsi = 4, Rdi = 5, Rbp = 6, Rsp = 7,
        R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15, ReturnAddress = 16;

    /// <summary>Registers 0–16: the general registers and rip, all an unwinder tracks.</summary>
    public const int Count = 17;

    /// <summary>The registers a callee must preserve (psABI): what a caller's frame can trust after unwinding.</summary>
    public static ReadOnlySpan<int> CalleeSaved => [Rbx, Rbp, R12, R13, R14, R15];

    private static readonly string[] Names =
        ["rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"];

    /// <summary>The lower-case name ("rbx", "rip"), or "xmm0".."xmm15" / "reg{n}" beyond the general registers.</summary>
    public static string Name(int register) => register switch
    {
        >= 0 and < Count => Names[register],
        >= 17 and <= 32 => $"xmm{register - 17}",
        _ => $"reg{register}",
    };
}
