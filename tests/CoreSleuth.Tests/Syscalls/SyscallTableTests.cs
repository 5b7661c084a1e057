using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.FreeBsd.Syscalls;

namespace CoreSleuth.Tests.Syscalls;

public class SyscallTableTests
{
    [SharedFileFact("spec/syscalls-freebsd-amd64.csv")]
    public void GeneratedTableEqualsTheSpecCsvRowForRow()
    {
        var rows = SpecCsv.Read(SharedFiles.SyscallCsv);
        Assert.Equal(590, rows.Count);
        Assert.Equal(rows.Count, SyscallTable.All.Count);
        Assert.Equal(SyscallTable.MaxNumber, rows[^1].Number);
        foreach (var row in rows)
        {
            var entry = SyscallTable.Lookup(row.Number);
            Assert.NotNull(entry);
            Assert.Equal(row.Number, entry.Number);
            Assert.Equal(row.Name, entry.Name);
            Assert.Equal(row.NArgs.Length == 0 ? null : int.Parse(row.NArgs, CultureInfo.InvariantCulture), entry.ArgumentCount);
            Assert.Equal(row.Status, entry.Status.ToString());
            Assert.Equal(row.Notes, entry.Notes);
        }
    }

    [SharedFileFact("spec/syscalls-freebsd-amd64.csv")]
    public void StatusKeywordsAreTypedAsSpecSection74Defines()
    {
        foreach (var row in SpecCsv.Read(SharedFiles.SyscallCsv))
        {
            var status = SyscallTable.Lookup(row.Number)!.Status;
            var tokens = row.Status.Split('|');
            var compat = Regex.Match(tokens[0], "^COMPAT([0-9]+)$");
            var expectedKind = tokens[0] switch
            {
                "STD" => SyscallStatusKind.Std,
                "NOSTD" => SyscallStatusKind.NoStd,
                "COMPAT" => SyscallStatusKind.Compat,
                "OBSOL" => SyscallStatusKind.Obsolete,
                "RESERVED" => SyscallStatusKind.Reserved,
                "NODEF" => SyscallStatusKind.NoDef,
                "SYSMUX" => SyscallStatusKind.SysMux,
                _ when compat.Success => SyscallStatusKind.Compat,
                var other => throw new Xunit.Sdk.XunitException($"row {row.Number}: unexpected status {other}"),
            };
            Assert.Equal(expectedKind, status.Kind);
            Assert.Equal(compat.Success ? int.Parse(compat.Groups[1].Value, CultureInfo.InvariantCulture) : null, status.CompatVersion);
            Assert.Equal(tokens.Contains("NOSTD") && tokens[0] != "NOSTD", (status.Flags & SyscallStatusFlags.NoStd) != 0);
            Assert.Equal(tokens.Contains("NOTSTATIC"), (status.Flags & SyscallStatusFlags.NotStatic) != 0);
        }
    }

    [GeneratorFact]
    public void CommittedGeneratedFileIsWhatTheGeneratorWritesFromTheCsv()
    {
        var psi = new ProcessStartInfo("python3", ["tools/gen-syscalls.py", "--check", "--csv", SharedFiles.SyscallCsv])
        {
            WorkingDirectory = SharedFiles.RepoRoot!,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "gen-syscalls.py did not finish");
        Assert.True(process.ExitCode == 0, "gen-syscalls.py --check failed: " + stderr);
    }

    // Spot checks against the text of spec §7.1 and §7.4.
    [Theory]
    [InlineData(5, "open", 3, "STD")]
    [InlineData(499, "openat", 4, "STD")]
    [InlineData(454, "_umtx_op", 5, "STD")]
    [InlineData(560, "kevent", 6, "STD")]
    [InlineData(363, "kevent", 6, "COMPAT11")]
    [InlineData(188, "stat", 2, "COMPAT11")]
    [InlineData(552, "fstatat", 4, "STD")]
    [InlineData(493, "fstatat", 4, "COMPAT11")]
    [InlineData(542, "pipe2", 2, "STD")]
    [InlineData(42, "pipe", 0, "COMPAT10")]
    [InlineData(571, "shm_open2", 5, "STD")]
    [InlineData(434, "_umtx_lock", 1, "COMPAT10")]
    public void SpotChecksFromTheSpec(int number, string name, int nargs, string status)
    {
        var entry = SyscallTable.Lookup(number)!;
        Assert.Equal(name, entry.Name);
        Assert.Equal(nargs, entry.ArgumentCount);
        Assert.Equal(status, entry.Status.ToString());
    }

    [Fact]
    public void IndirectEntriesAreSysMux()
    {
        Assert.Equal(("syscall", SyscallStatusKind.SysMux), (SyscallTable.Lookup(0)!.Name, SyscallTable.Lookup(0)!.Status.Kind));
        Assert.Equal(("__syscall", SyscallStatusKind.SysMux), (SyscallTable.Lookup(198)!.Name, SyscallTable.Lookup(198)!.Status.Kind));
        Assert.Null(SyscallTable.Lookup(0)!.ArgumentCount);
    }

    [Fact]
    public void NumbersOutsideTheTableHaveNoEntry()
    {
        Assert.Null(SyscallTable.Lookup(-1));
        Assert.Null(SyscallTable.Lookup(590));
        Assert.Null(SyscallTable.Lookup(long.MaxValue));
        Assert.Equal("#91", SyscallTable.Lookup(91)!.DisplayName); // RESERVED slot, unnamed
    }
}
