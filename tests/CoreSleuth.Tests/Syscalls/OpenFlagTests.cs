using System.Globalization;
using CoreSleuth.FreeBsd.Syscalls;
using CsCheck;

namespace CoreSleuth.Tests.Syscalls;

public class OpenFlagTests
{
    // FreeBSD sys/sys/fcntl.h values, written out here independently of the decoder.
    private static readonly Dictionary<string, uint> Names = new()
    {
        ["O_RDONLY"] = 0, ["O_WRONLY"] = 1, ["O_RDWR"] = 2, ["O_ACCMODE"] = 3, ["O_EXEC"] = 0x40000,
        ["O_NONBLOCK"] = 0x4, ["O_APPEND"] = 0x8, ["O_SHLOCK"] = 0x10, ["O_EXLOCK"] = 0x20, ["O_ASYNC"] = 0x40,
        ["O_FSYNC"] = 0x80, ["O_SYNC"] = 0x80, ["O_NOFOLLOW"] = 0x100, ["O_CREAT"] = 0x200, ["O_TRUNC"] = 0x400,
        ["O_EXCL"] = 0x800, ["O_NOCTTY"] = 0x8000, ["O_DIRECT"] = 0x10000, ["O_DIRECTORY"] = 0x20000,
        ["O_TTY_INIT"] = 0x80000, ["O_CLOEXEC"] = 0x100000, ["O_VERIFY"] = 0x200000, ["O_PATH"] = 0x400000,
        ["O_RESOLVE_BENEATH"] = 0x800000, ["O_DSYNC"] = 0x1000000, ["O_EMPTY_PATH"] = 0x2000000,
        ["O_NAMEDATTR"] = 0x4000000,
    };

    private static readonly string[] AccessModeNames = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE", "O_EXEC"];

    private static uint Recombine(string text, out List<string> tokens, bool accessModeNamed = true)
    {
        tokens = [.. text.Split('|')];
        uint value = 0;
        foreach (var token in tokens)
        {
            if (token.StartsWith("0x", StringComparison.Ordinal))
            {
                var bits = uint.Parse(token.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                // A hex remainder must not hide a bit that has a name.
                foreach (var named in Names.Values.Where(v => v != 0 && (v & (v - 1)) == 0 && (accessModeNamed || v > 3)))
                    Assert.True((bits & named) == 0, $"{text}: named bit 0x{named:x} left in hex");
                value |= bits;
            }
            else
            {
                Assert.True(Names.TryGetValue(token, out var v), $"{text}: unknown name {token}");
                value |= v;
            }
        }
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        return value;
    }

    [Fact]
    public void AnyValueDecodesToNamesThatRecombineToIt()
    {
        Gen.UInt.Sample(flags =>
        {
            var text = OpenFlagDecoder.Format(flags);
            Assert.Equal(flags, Recombine(text, out var tokens));
            Assert.Contains(tokens[0], AccessModeNames);
            // Exactly one access mode, always first.
            Assert.DoesNotContain(tokens.Skip(1), t => t is "O_RDONLY" or "O_WRONLY" or "O_RDWR" or "O_ACCMODE");
        });
    }

    [Fact]
    public void CombinationsOfKnownBitsRecombine()
    {
        var known = Names.Values.Aggregate(0u, (a, v) => a | v);
        Gen.UInt.Select(v => v & known).Sample(flags => Assert.Equal(flags, Recombine(OpenFlagDecoder.Format(flags), out _)));
    }

    [Fact]
    public void StatusFlagsWithoutAccessModeRecombine()
    {
        Gen.UInt.Sample(flags =>
        {
            var text = SyscallDecoder.Describe(542, [0, flags], null).Arguments[1].Text; // pipe2
            if (flags == 0) Assert.Equal("0", text);
            else Assert.Equal(flags, Recombine(text, out _, accessModeNamed: false));
        });
    }

    [Theory]
    [InlineData(0x0u, "O_RDONLY")]
    [InlineData(0x100000u, "O_RDONLY|O_CLOEXEC")]
    [InlineData(0x1u, "O_WRONLY")]
    [InlineData(0x2u, "O_RDWR")]
    [InlineData(0x40000u, "O_EXEC")]
    [InlineData(0x20004u, "O_RDONLY|O_NONBLOCK|O_DIRECTORY")]
    [InlineData(0x80000000u, "O_RDONLY|0x80000000")]
    public void KnownExamples(uint flags, string expected) => Assert.Equal(expected, OpenFlagDecoder.Format(flags));

    [Theory]
    [InlineData(0x0u, OpenDirection.Read, "fifoor")]        // spec §8.1: reader waits for a writer
    [InlineData(0x100000u, OpenDirection.Read, "fifoor")]
    [InlineData(0x1u, OpenDirection.Write, "fifoow")]       // writer waits for a reader
    [InlineData(0x2u, OpenDirection.ReadWrite, null)]
    [InlineData(0x4u, OpenDirection.Read, null)]            // O_NONBLOCK: read-open succeeds at once
    [InlineData(0x5u, OpenDirection.Write, null)]           // O_NONBLOCK: write-open fails with ENXIO
    [InlineData(0x40000u, OpenDirection.Neither, null)]     // O_EXEC
    [InlineData(0x400000u, OpenDirection.Neither, null)]    // O_PATH
    public void DirectionAndFifoWait(uint flags, OpenDirection direction, string? wmesg)
    {
        Assert.Equal(direction, OpenFlagDecoder.Direction(flags));
        Assert.Equal(wmesg, OpenFlagDecoder.FifoWaitMessage(flags));
    }

    [Theory]
    [InlineData(0u, "0")]
    [InlineData(420u, "0644")]   // 0644
    [InlineData(438u, "0666")]
    [InlineData(4532u, "010664")] // S_IFIFO | 0664
    public void ModeIsOctal(uint mode, string expected) =>
        Assert.Equal(expected, SyscallDecoder.Describe(132, [0, mode], null).Arguments[1].Text); // mkfifo
}
