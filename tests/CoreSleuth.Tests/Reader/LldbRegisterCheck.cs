using CoreSleuth.Model;

namespace CoreSleuth.Tests.Reader;

/// <summary>Compares a thread's registers with LLDB's <c>register read --all</c>, register by register.</summary>
internal static class LldbRegisterCheck
{
    private static readonly string[] Wide = ["rax", "rbx", "rcx", "rdx", "rdi", "rsi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

    /// <summary>Every register LLDB printed that the core defines; returns how many were compared.</summary>
    public static int Compare(CoreThread thread, IReadOnlyDictionary<string, string> lldb)
    {
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        var regs = thread.Registers.General.ToDictionary(r => r.Name, r => r.Value);
        foreach (var (name, value) in regs) expected[name] = $"0x{value:x}";

        // LLDB's x86-64 sub-registers: eax/r8d (32 bits), ax/r8w (16), al/r8l and ah (8).
        foreach (var r in Wide)
        {
            ulong v = regs[r];
            bool numbered = char.IsDigit(r[1]);
            string stem = r[1..];
            expected[numbered ? r + "d" : "e" + stem] = $"0x{v & 0xFFFF_FFFF:x}";
            expected[numbered ? r + "w" : stem] = $"0x{v & 0xFFFF:x}";
            expected[numbered ? r + "l" : stem.EndsWith('x') ? stem[0] + "l" : stem + "l"] = $"0x{v & 0xFF:x}";
            if (!numbered && stem.EndsWith('x')) expected[stem[0] + "h"] = $"0x{(v >> 8) & 0xFF:x}";
        }

        if (thread.FpState is { } fp)
        {
            expected["fctrl"] = $"0x{fp.Fcw:x}";
            expected["fstat"] = $"0x{fp.Fsw:x}";
            expected["ftag"] = $"0x{fp.Ftw:x}"; // the abridged tag byte of the FXSAVE image
            expected["fop"] = $"0x{fp.Fop:x}";
            expected["fip"] = $"0x{fp.Fip:x}";
            expected["fioff"] = $"0x{fp.Fip & 0xFFFF_FFFF:x}";
            expected["fiseg"] = $"0x{fp.Fip >> 32:x}";
            expected["fdp"] = $"0x{fp.Fdp:x}";
            expected["fooff"] = $"0x{fp.Fdp & 0xFFFF_FFFF:x}";
            expected["foseg"] = $"0x{fp.Fdp >> 32:x}";
            expected["mxcsr"] = $"0x{fp.Mxcsr:x}";
            expected["mxcsrmask"] = $"0x{fp.MxcsrMask:x}";
            for (int i = 0; i < 8; i++)
            {
                expected[$"st{i}"] = Vector(fp.St[i]);
                expected[$"mm{i}"] = $"0x{BitConverter.ToUInt64(fp.St[i], 0):x}";
            }
            for (int i = 0; i < 16; i++) expected[$"xmm{i}"] = Vector(fp.Xmm[i]);
        }

        int compared = 0;
        foreach (var (name, printed) in lldb)
        {
            if (!expected.TryGetValue(name, out var mine)) continue;
            string normalized = printed.StartsWith('{') ? Vector(Hex.ParseVector(printed)) : $"0x{Hex.Parse(printed):x}";
            Assert.True(normalized == mine, $"thread LWP {thread.Lwp} register {name}: LLDB shows {printed}, the reader has {mine}");
            compared++;
        }
        return compared;
    }

    private static string Vector(byte[] bytes) => "{" + string.Join(' ', bytes.Select(b => $"0x{b:x2}")) + "}";
}
