using CoreSleuth.Analysis.Crash;
using CoreSleuth.FreeBsd;

namespace CoreSleuth.Tests.Crash;

/// <summary>
/// The si_code and trap names against the values of FreeBSD's headers, copied here from the
/// headers, not from the decoder: sys/sys/signal.h (freebsd-src 039ea811636f: ILL_*, BUS_*,
/// SEGV_*, FPE_*, TRAP_*, SI_NOINFO … SI_KERNEL; SI_LWP 0x10007, SEGV_PKUERR, BUS_OOMERR,
/// TRAP_CAP and FPE_FLTIDO from the current signal.h) and sys/x86/include/trap.h
/// (freebsd-src 378534f1ac88: T_*).
/// </summary>
public sealed class SignalCodeTests
{
    [Theory]
    [InlineData(4, 1, "ILL_ILLOPC")]
    [InlineData(4, 2, "ILL_ILLOPN")]
    [InlineData(4, 3, "ILL_ILLADR")]
    [InlineData(4, 4, "ILL_ILLTRP")]
    [InlineData(4, 5, "ILL_PRVOPC")]
    [InlineData(4, 6, "ILL_PRVREG")]
    [InlineData(4, 7, "ILL_COPROC")]
    [InlineData(4, 8, "ILL_BADSTK")]
    [InlineData(10, 1, "BUS_ADRALN")]
    [InlineData(10, 2, "BUS_ADRERR")]
    [InlineData(10, 3, "BUS_OBJERR")]
    [InlineData(10, 100, "BUS_OOMERR")]
    [InlineData(11, 1, "SEGV_MAPERR")]
    [InlineData(11, 2, "SEGV_ACCERR")]
    [InlineData(11, 100, "SEGV_PKUERR")]
    [InlineData(8, 1, "FPE_INTOVF")]
    [InlineData(8, 2, "FPE_INTDIV")]
    [InlineData(8, 3, "FPE_FLTDIV")]
    [InlineData(8, 4, "FPE_FLTOVF")]
    [InlineData(8, 5, "FPE_FLTUND")]
    [InlineData(8, 6, "FPE_FLTRES")]
    [InlineData(8, 7, "FPE_FLTINV")]
    [InlineData(8, 8, "FPE_FLTSUB")]
    [InlineData(8, 9, "FPE_FLTIDO")]
    [InlineData(5, 1, "TRAP_BRKPT")]
    [InlineData(5, 2, "TRAP_TRACE")]
    [InlineData(5, 3, "TRAP_DTRACE")]
    [InlineData(5, 4, "TRAP_CAP")]
    public void A_signals_own_codes_have_the_headers_values(int signal, int code, string name)
    {
        Assert.Equal(name, SignalCodes.Code(signal, code).Name);
        Assert.NotNull(SignalCodes.Code(signal, code).Meaning);
    }

    [Theory]
    [InlineData(0, "SI_NOINFO")]
    [InlineData(0x10001, "SI_USER")]
    [InlineData(0x10002, "SI_QUEUE")]
    [InlineData(0x10003, "SI_TIMER")]
    [InlineData(0x10004, "SI_ASYNCIO")]
    [InlineData(0x10005, "SI_MESGQ")]
    [InlineData(0x10006, "SI_KERNEL")]
    [InlineData(0x10007, "SI_LWP")]
    public void The_codes_any_signal_may_carry_have_the_headers_values(int code, string name)
    {
        foreach (int signal in new[] { 6, 11, 15, 30 })
            Assert.Equal(name, SignalCodes.Code(signal, code).Name);
    }

    [Fact]
    public void A_code_number_means_what_its_signal_says()
    {
        // 1 is SEGV_MAPERR for SIGSEGV but BUS_ADRALN for SIGBUS, and nothing for SIGABRT.
        Assert.Equal("SEGV_MAPERR", SignalCodes.Code(Signals.Sigsegv, 1).Name);
        Assert.Equal("BUS_ADRALN", SignalCodes.Code(Signals.Sigbus, 1).Name);
        Assert.Null(SignalCodes.Code(Signals.Sigabrt, 1).Name);
    }

    [Theory]
    [InlineData(1, "T_PRIVINFLT")]
    [InlineData(3, "T_BPTFLT")]
    [InlineData(6, "T_ARITHTRAP")]
    [InlineData(9, "T_PROTFLT")]
    [InlineData(10, "T_TRCTRAP")]
    [InlineData(12, "T_PAGEFLT")]
    [InlineData(14, "T_ALIGNFLT")]
    [InlineData(18, "T_DIVIDE")]
    [InlineData(19, "T_NMI")]
    [InlineData(20, "T_OFLOW")]
    [InlineData(21, "T_BOUND")]
    [InlineData(22, "T_DNA")]
    [InlineData(23, "T_DOUBLEFLT")]
    [InlineData(24, "T_FPOPFLT")]
    [InlineData(25, "T_TSSFLT")]
    [InlineData(26, "T_SEGNPFLT")]
    [InlineData(27, "T_STKFLT")]
    [InlineData(28, "T_MCHK")]
    [InlineData(29, "T_XMMFLT")]
    [InlineData(30, "T_RESERVED")]
    [InlineData(32, "T_DTRACE_RET")]
    public void Trap_numbers_have_the_headers_values(int trapno, string name) => Assert.Equal(name, SignalCodes.Trap(trapno).Name);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    [InlineData(200)]
    [InlineData(34)]
    public void Odd_numbers_are_named_by_nobody_and_never_throw(int value)
    {
        Assert.Null(SignalCodes.Trap(value).Name);
        foreach (int signal in new[] { value, 11, 0 })
            if (value != 0) Assert.Null(SignalCodes.Code(signal, value).Name);
        Assert.NotNull(Signals.Name(value == 0 ? 200 : value));
    }
}
