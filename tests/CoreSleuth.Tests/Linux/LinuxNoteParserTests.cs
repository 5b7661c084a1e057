using System.Buffers.Binary;
using System.Text;
using CoreSleuth.Elf;
using CoreSleuth.Linux;
using CsCheck;

namespace CoreSleuth.Tests.Linux;

/// <summary>
/// The Linux note parsers against descriptors built here byte by byte from the kernel header
/// layouts (offsets written out in each test, not taken from the parsers' constants).
/// </summary>
public class LinuxNoteParserTests
{
    private static void Put32(byte[] b, int o, int v) => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(o), v);
    private static void Put64(byte[] b, int o, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(o), v);
    private static void PutText(byte[] b, int o, string s) => Encoding.ASCII.GetBytes(s).CopyTo(b, o);

    /// <summary>
    /// x86-64 struct elf_prstatus: pr_info {signo, code, errno} 0/4/8, pr_cursig short 12,
    /// pr_sigpend 16, pr_sighold 24, pid/ppid/pgrp/sid 32/36/40/44, four timevals 48–111,
    /// pr_reg at 112 (27 × 8), pr_fpvalid at 328, sizeof 336.
    /// </summary>
    private static byte[] PrStatusBytes()
    {
        var b = new byte[336];
        Put32(b, 0, 11); Put32(b, 4, 1); Put32(b, 8, 0);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(12), 11);
        Put64(b, 16, 1UL << 10); Put64(b, 24, 0x8000_0000_0000_0001);
        Put32(b, 32, 4242); Put32(b, 36, 1); Put32(b, 40, 4200); Put32(b, 44, 4100);
        Put64(b, 48, 12); Put64(b, 56, 345678); Put64(b, 64, 3); Put64(b, 72, 999999);
        Put64(b, 80, 0); Put64(b, 88, 1); Put64(b, 96, 7); Put64(b, 104, 8);
        for (int i = 0; i < 27; i++) Put64(b, 112 + 8 * i, 0x1000UL + (ulong)i);
        Put32(b, 328, 1);
        return b;
    }

    [Fact]
    public void PrStatusFieldsAndRegistersComeFromTheirHeaderOffsets()
    {
        var s = LinuxPrStatus.Parse(PrStatusBytes());
        Assert.Equal((11, 1, 0, (short)11), (s.SignalNumber, s.SignalCode, s.SignalErrno, s.CurrentSignal));
        Assert.Equal((1UL << 10, 0x8000_0000_0000_0001UL), (s.PendingSignals, s.HeldSignals));
        Assert.Equal((4242, 1, 4200, 4100), (s.Pid, s.ParentPid, s.ProcessGroup, s.Session));
        Assert.Equal((12L, 345678L), (s.UserTime.Seconds, s.UserTime.Microseconds));
        Assert.Equal((3L, 999999L), (s.SystemTime.Seconds, s.SystemTime.Microseconds));
        Assert.Equal((7L, 8L), (s.ChildrenSystemTime.Seconds, s.ChildrenSystemTime.Microseconds));
        Assert.Equal(1, s.FpValid);

        // user_regs_struct order: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss fs_base gs_base ds es fs gs
        var r = s.Registers;
        ulong[] expected = [r.R15, r.R14, r.R13, r.R12, r.Rbp, r.Rbx, r.R11, r.R10, r.R9, r.R8, r.Rax, r.Rcx, r.Rdx, r.Rsi, r.Rdi,
            r.OrigRax, r.Rip, r.Cs, r.Eflags, r.Rsp, r.Ss, r.FsBase, r.GsBase, r.Ds, r.Es, r.Fs, r.Gs];
        Assert.Equal(Enumerable.Range(0, 27).Select(i => 0x1000UL + (ulong)i), expected);
        // System call arguments in ABI order rdi (index 14), rsi (13), rdx (12), r10 (7), r8 (9), r9 (8).
        Assert.Equal([0x100EUL, 0x100DUL, 0x100CUL, 0x1007UL, 0x1009UL, 0x1008UL], r.SyscallArguments);
        Assert.Equal(("rax", 0x100AUL), r.General[0]);
        Assert.Equal(("gs_base", 0x1016UL), r.General[^1]);
    }

    [Fact]
    public void ShortPrStatusIsAnErrorNamingTheNoteTheSizeAndTheFileOffset()
    {
        var e = Assert.Throws<CoreFormatException>(() => LinuxPrStatus.Parse(PrStatusBytes().AsSpan(0, 335), 0x8c414));
        Assert.Equal(0x8c414, e.FileOffset);
        Assert.Contains("NT_PRSTATUS", e.Message);
        Assert.Contains("335", e.Message);
        Assert.Contains("336", e.Message);
    }

    [Fact]
    public void PrPsInfoFollowsTheX8664Layout()
    {
        // elf_prpsinfo: state 0, sname 1, zomb 2, nice 3, pr_flag 8, uid 16, gid 20 (unsigned int),
        // pid 24, ppid 28, pgrp 32, sid 36, fname[16] 40, psargs[80] 56; sizeof 136.
        var b = new byte[136];
        b[0] = 1; b[1] = (byte)'S'; b[2] = 0; b[3] = unchecked((byte)-5);
        Put64(b, 8, 0x400140);
        Put32(b, 16, 27); Put32(b, 20, 27);
        Put32(b, 24, 1234); Put32(b, 28, 1); Put32(b, 32, 1234); Put32(b, 36, 1234);
        PutText(b, 40, "mariadbd");
        PutText(b, 56, "/usr/sbin/mariadbd --datadir=/var/lib/mysql");
        var p = LinuxPrPsInfo.Parse(b);
        Assert.Equal((1, 'S', false, (sbyte)-5, 0x400140UL), (p.State, p.StateLetter, p.Zombie, p.Nice, p.Flags));
        Assert.Equal((27u, 27u, 1234, 1, 1234, 1234), (p.Uid, p.Gid, p.Pid, p.ParentPid, p.ProcessGroup, p.Session));
        Assert.Equal("mariadbd", p.FileName);
        Assert.Equal("/usr/sbin/mariadbd --datadir=/var/lib/mysql", p.Arguments);
    }

    [Fact]
    public void FullLengthNamesWithoutNulStopAtTheirFields()
    {
        var b = new byte[136];
        PutText(b, 40, "0123456789abcdefXYZ"); // 16 bytes of fname, then psargs starts with XYZ
        var p = LinuxPrPsInfo.Parse(b);
        Assert.Equal("0123456789abcdef", p.FileName);
        Assert.Equal("XYZ", p.Arguments);
    }

    [Fact]
    public void ShortPrPsInfoIsAnError()
    {
        var e = Assert.Throws<CoreFormatException>(() => LinuxPrPsInfo.Parse(new byte[120]));
        Assert.Contains("NT_PRPSINFO", e.Message);
        Assert.Contains("136", e.Message);
    }

    [Fact]
    public void SigInfoOfASegfaultHasTheFaultAddress()
    {
        // siginfo_t: si_signo 0, si_errno 4, si_code 8, union at 16: _sigfault.si_addr.
        var b = new byte[128];
        Put32(b, 0, 11); Put32(b, 4, 0); Put32(b, 8, 1); Put64(b, 16, 0xdead_beef_0000);
        var s = LinuxSigInfo.Parse(b);
        Assert.Equal((11, 0, 1), (s.Signal, s.Errno, s.Code));
        Assert.Equal(0xdead_beef_0000UL, s.FaultAddress);
        Assert.Null(s.SenderPid);
        Assert.Equal("SEGV_MAPERR", s.CodeName);
    }

    [Fact]
    public void SigInfoOfATkillHasTheSender()
    {
        // SIGABRT from abort(): raise → tgkill, si_code SI_TKILL (-6), _kill.si_pid 16, si_uid 20.
        var b = new byte[128];
        Put32(b, 0, 6); Put32(b, 8, -6); Put32(b, 16, 777); Put32(b, 20, 1001);
        var s = LinuxSigInfo.Parse(b);
        Assert.Equal((777, 1001u), (s.SenderPid, s.SenderUid));
        Assert.Null(s.FaultAddress);
        Assert.Equal("SI_TKILL", s.CodeName);
    }

    [Fact]
    public void SigInfoFromTheKernelWithoutAFaultHasNeitherSenderNorAddress()
    {
        var b = new byte[128];
        Put32(b, 0, 19); Put32(b, 8, 0x80); Put64(b, 16, 0x1234);
        var s = LinuxSigInfo.Parse(b);
        Assert.Null(s.SenderPid);
        Assert.Null(s.FaultAddress);
        Assert.Equal("SI_KERNEL", s.CodeName);
        Assert.Equal("SIGSTOP", LinuxSignals.Name(s.Signal));
        Assert.Throws<CoreFormatException>(() => LinuxSigInfo.Parse(b.AsSpan(0, 127)));
    }

    /// <summary>NT_FILE: count, page_size, count × {start, end, file_ofs in pages}, then the names.</summary>
    private static byte[] FileNote(ulong count, ulong pageSize, (ulong Start, ulong End, ulong Pages)[] entries, string names)
    {
        var b = new byte[16 + 24 * entries.Length + Encoding.UTF8.GetByteCount(names)];
        Put64(b, 0, count); Put64(b, 8, pageSize);
        for (int i = 0; i < entries.Length; i++)
        {
            Put64(b, 16 + 24 * i, entries[i].Start); Put64(b, 24 + 24 * i, entries[i].End); Put64(b, 32 + 24 * i, entries[i].Pages);
        }
        Encoding.UTF8.GetBytes(names).CopyTo(b, 16 + 24 * entries.Length);
        return b;
    }

    [Fact]
    public void FileNoteGivesRangesOffsetsInBytesAndPaths()
    {
        var b = FileNote(2, 4096, [(0x5555_0000, 0x5555_2000, 0), (0x7f00_0000_0000, 0x7f00_0015_6000, 0x26)],
            "/usr/sbin/mariadbd\0/usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)\0");
        var n = LinuxFileNote.Parse(b);
        Assert.Equal(4096UL, n.PageSize);
        Assert.Equal(
            [new LinuxMappedFile(0x5555_0000, 0x5555_2000, 0, "/usr/sbin/mariadbd"),
             new LinuxMappedFile(0x7f00_0000_0000, 0x7f00_0015_6000, 0x26000, "/usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)")],
            n.Files);
        Assert.Equal(0x2000UL, n.Files[0].Size);
        Assert.Empty(LinuxFileNote.Parse(FileNote(0, 4096, [], "")).Files);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 40)]
    [InlineData(3UL)] // one more than the 2 entries present: the third "entry" would overlap the names
    public void FileNoteCountBeyondTheDescriptorIsRefusedBeforeAllocating(ulong count)
    {
        var b = FileNote(count, 4096, [(0x1000, 0x2000, 0), (0x2000, 0x3000, 1)], "/a\0/b\0");
        var e = Assert.Throws<CoreFormatException>(() => LinuxFileNote.Parse(b, 0x500));
        Assert.Contains($"claims {count} mapped files", e.Message);
        Assert.Equal(0x500, e.FileOffset);
    }

    [Fact]
    public void FileNoteWithAnUnterminatedNameNamesTheEntry()
    {
        var b = FileNote(2, 4096, [(0x1000, 0x2000, 0), (0x2000, 0x3000, 1)], "/lib/a.so\0/lib/b.s");
        var e = Assert.Throws<CoreFormatException>(() => LinuxFileNote.Parse(b, 0x1000));
        Assert.Contains("name 1 of 2 has no terminating NUL", e.Message);
        Assert.Equal(0x1000 + 16 + 48 + 10, e.FileOffset);
    }

    [Fact]
    public void FileNoteHeaderDamageIsRefused()
    {
        Assert.Contains("shorter than the 16 bytes", Assert.Throws<CoreFormatException>(() => LinuxFileNote.Parse(new byte[15])).Message);
        Assert.Contains("page size is 0", Assert.Throws<CoreFormatException>(() => LinuxFileNote.Parse(FileNote(0, 0, [], ""))).Message);
        Assert.Contains("page size is 4095", Assert.Throws<CoreFormatException>(() => LinuxFileNote.Parse(FileNote(0, 4095, [], ""))).Message);
        Assert.Contains("entry 0 ends at 0x1000, before its start 0x2000",
            Assert.Throws<CoreFormatException>(() => LinuxFileNote.Parse(FileNote(1, 4096, [(0x2000, 0x1000, 0)], "/x\0"))).Message);
        Assert.Contains("overflows",
            Assert.Throws<CoreFormatException>(() => LinuxFileNote.Parse(FileNote(1, 4096, [(0x1000, 0x2000, 1UL << 60)], "/x\0"))).Message);
    }

    [Fact]
    public void AuxvIsReadThroughAtNullWithLinuxNames()
    {
        // Elf64_auxv_t pairs; AT_SYSINFO_EHDR 33, AT_PAGESZ 6, AT_EXECFN 31, AT_NULL 0, then bytes past the end marker.
        var b = new byte[16 * 5];
        Put64(b, 0, 33); Put64(b, 8, 0x7fff_f7fc_1000);
        Put64(b, 16, 6); Put64(b, 24, 4096);
        Put64(b, 32, 31); Put64(b, 40, 0x7fff_ffff_efe0);
        Put64(b, 48, 0); Put64(b, 56, 0);
        Put64(b, 64, 99); Put64(b, 72, 99);
        var v = LinuxAuxvEntry.ParseVector(b);
        Assert.Equal([33UL, 6UL, 31UL, 0UL], v.Select(e => e.Type));
        Assert.Equal(["AT_SYSINFO_EHDR", "AT_PAGESZ", "AT_EXECFN", "AT_NULL"], v.Select(e => e.Name));
        Assert.Equal([false, false, true, false], v.Select(e => e.IsStringPointer));
        Assert.Equal(0x7fff_f7fc_1000UL, v[0].Value);
        Assert.Equal("AT_99", new LinuxAuxvEntry(99, 0).Name);
        Assert.Contains("not a whole number", Assert.Throws<CoreFormatException>(() => LinuxAuxvEntry.ParseVector(b.AsSpan(0, 24))).Message);
    }

    [Fact]
    public void NoteTypeNamesAreTheKernelValues()
    {
        Assert.Equal("NT_SIGINFO", LinuxNoteType.Name(0x53494749));
        Assert.Equal("NT_FILE", LinuxNoteType.Name(0x46494c45));
        Assert.Equal("NT_X86_XSTATE", LinuxNoteType.Name(0x202));
        Assert.Equal("NT_AUXV", LinuxNoteType.Name(6));
        Assert.Equal("note type 0x5", LinuxNoteType.Name(5));
        Assert.True(LinuxNoteType.IsPerThread(2));
        Assert.False(LinuxNoteType.IsPerThread(1));
    }
}

/// <summary>Any bytes at all: every Linux note parser returns a record or a <see cref="CoreFormatException"/>, nothing else.</summary>
public class LinuxNoteParserHostileTests
{
    private static void OnlyFormatErrors(Action parse)
    {
        try { parse(); }
        catch (CoreFormatException) { }
    }

    [Fact]
    public void RandomDescriptorsGiveRecordsOrFormatErrors()
    {
        Gen.Byte.Array[0, 400].Sample(bytes =>
        {
            OnlyFormatErrors(() => LinuxPrStatus.Parse(bytes));
            OnlyFormatErrors(() => LinuxPrPsInfo.Parse(bytes));
            OnlyFormatErrors(() => LinuxSigInfo.Parse(bytes));
            OnlyFormatErrors(() => LinuxAuxvEntry.ParseVector(bytes));
            OnlyFormatErrors(() => LinuxFileNote.Parse(bytes));
        }, iter: 2000);
    }

    [Fact]
    public void RandomFileNotesWithPlausibleHeadersGiveRecordsOrFormatErrors()
    {
        // Small counts and a page size of 1 or 4096, so the entry and name checks are reached.
        Gen.Select(Gen.ULong[0, 8], Gen.OneOf(Gen.Const(1UL), Gen.Const(4096UL)), Gen.Byte.Array[0, 300])
            .Sample((count, pageSize, rest) =>
            {
                var b = new byte[16 + rest.Length];
                BinaryPrimitives.WriteUInt64LittleEndian(b, count);
                BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), pageSize);
                rest.CopyTo(b, 16);
                OnlyFormatErrors(() =>
                {
                    var n = LinuxFileNote.Parse(b);
                    Assert.Equal((int)count, n.Files.Count);
                    Assert.All(n.Files, f => Assert.True(f.End >= f.Start));
                });
            }, iter: 2000);
    }
}
