using System.Diagnostics;
using System.Text;
using CoreSleuth.Analysis.Symbols;
using CsCheck;

namespace CoreSleuth.Tests.Symbols;

/// <summary>
/// Symbol names come from untrusted cores: whatever the input, the demangler must return
/// (null or bounded text) quickly, without throwing and without exhausting the stack.
/// These tests call the internal entry point that has no exception safety net, so a defect
/// shows up as a failing sample instead of being hidden.
/// </summary>
public sealed class ItaniumDemanglerPropertyTests
{
    private static readonly TimeSpan PerCallBudget = TimeSpan.FromSeconds(2);

    /// <summary>Pieces of the mangling grammar, so random names get deep into the parser.</summary>
    private static readonly string[] Tokens =
    [
        "N", "E", "E", "I", "J", "S_", "S0_", "S1_", "St", "Sa", "Ss", "So", "T_", "T0_", "P", "R", "O", "K",
        "V", "r", "1a", "3foo", "i", "v", "c", "d", "m", "Dp", "DT", "Dt", "sr", "cl", "fp_", "fpT", "L",
        "Li1E", "Lb0E", "LDnE", "L_Z1fvE", "Ul", "Ut_", "UlvE_", "B5cxx11", "Z", "F", "A3_", "A_", "M", "C1",
        "D0", "D2", "cv", "pl", "qu", "dt", "sZ", "sP", "on", "Dn", "Do", "DO", "Dx", "X", "il", "tl", "nw",
        "gs", "W", "Ty", "Tn", "Tp", ".cold", ".isra.0", "_", "0", "Dv4_", "u3vec", "U3foo", "GV", "TV",
        "Th8_", "Tv0_n24_", "TC", "GR", "TH", "DC1a1bE", "pp_", "fl", "fL", "di", "dX", "sp", "ad", "st",
    ];

    private static void AssertBounded(string input)
    {
        var clock = Stopwatch.StartNew();
        var result = ItaniumDemangler.DemangleCore(input);
        clock.Stop();
        Assert.True(clock.Elapsed < PerCallBudget, $"took {clock.Elapsed} for {input}");
        if (result is not null)
            Assert.InRange(result.Length, 1, ItaniumDemangler.MaxDemangledLength);
    }

    [Fact]
    public void RandomCharactersNeverThrowAndStayBounded()
    {
        var chars = Gen.Char["_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.$ \u00e9\0"];
        Gen.Select(Gen.Bool, chars.Array[0, 150], (prefixed, cs) => (prefixed ? "_Z" : "") + new string(cs))
            .Sample(AssertBounded, iter: 20_000);
    }

    [Fact]
    public void RandomGrammarTokensNeverThrowAndStayBounded()
    {
        Gen.Int[0, Tokens.Length - 1].Array[1, 60]
            .Select(ix => "_Z" + string.Concat(ix.Select(i => Tokens[i])))
            .Sample(AssertBounded, iter: 20_000);
    }

    [Fact]
    public void MutatedRealNamesNeverThrowAndStayBounded()
    {
        var names = ItaniumDemanglerTests.CxxFiltCases.Select(row => (string)row[0]).ToArray();
        Gen.Select(Gen.Int[0, names.Length - 1], Gen.Int[0, 10_000].Array[1, 6], Gen.Int[0, Tokens.Length - 1],
                (n, edits, token) =>
                {
                    var s = new StringBuilder(names[n]);
                    foreach (var e in edits)
                    {
                        int pos = e % (s.Length + 1);
                        switch (e % 3)
                        {
                            case 0 when pos < s.Length:
                                s.Remove(pos, 1);
                                break;
                            case 1:
                                s.Insert(pos, Tokens[token]);
                                break;
                            default:
                                s.Length = Math.Min(s.Length, pos + 2); // truncate
                                break;
                        }
                    }

                    return s.ToString();
                })
            .Sample(AssertBounded, iter: 20_000);
    }

    [Fact]
    public void PublicEntryPointsNeverThrow()
    {
        Gen.Int[0, Tokens.Length - 1].Array[0, 40]
            .Select(ix => "_Z" + string.Concat(ix.Select(i => Tokens[i])))
            .Sample(s =>
            {
                Assert.Equal(ItaniumDemangler.DemangleCore(s), ItaniumDemangler.Demangle(s));
                bool ok = ItaniumDemangler.TryDemangle(s, out var text);
                Assert.Equal(ok ? ItaniumDemangler.DemangleCore(s) : s, text);
            }, iter: 5_000);
    }

    [Fact]
    public void HundredThousandPointersAreRefusedFast()
    {
        var mangled = "_Z1f" + new string('P', 100_000) + "i";
        var clock = Stopwatch.StartNew();
        Assert.Null(ItaniumDemangler.Demangle(mangled));
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(500), $"took {clock.Elapsed}");
    }

    /// <summary>
    /// Substitutions let a short name expand exponentially: each parameter here is a template
    /// of two copies of the previous one (2^60 copies in the end). The output cap stops it.
    /// </summary>
    [Fact]
    public void ExponentialExpansionIsCutOff()
    {
        var mangled = new StringBuilder("_Z1f1XS_IS_S_E");
        for (int i = 0; i < 60; i++)
        {
            string previous = "S" + SeqId(i) + "_";
            mangled.Append("S_I").Append(previous).Append(previous).Append('E');
        }

        Assert.True(mangled.Length <= ItaniumDemangler.MaxMangledLength);
        var clock = Stopwatch.StartNew();
        Assert.Null(ItaniumDemangler.DemangleCore(mangled.ToString()));
        Assert.True(clock.Elapsed < PerCallBudget, $"took {clock.Elapsed}");

        static string SeqId(int n)
        {
            const string digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
            var s = "";
            do
            {
                s = digits[n % 36] + s;
                n /= 36;
            }
            while (n > 0);
            return s;
        }
    }

    /// <summary>
    /// Deep nesting within the length limit, on a thread with a deliberately small stack: the
    /// demangler must notice the stack running out and fail instead of crashing the process.
    /// </summary>
    [Fact]
    public void DeepNestingOnASmallStackDoesNotOverflow()
    {
        string[] inputs =
        [
            "_Z1f" + new string('P', 1019) + "i",
            "_Z1fI" + string.Concat(Enumerable.Repeat("1AI", 250)) + "i" + new string('E', 251) + "v",
            "_Z1f" + string.Concat(Enumerable.Repeat("PFv", 300)) + "i" + new string('E', 300),
            "_Z" + string.Concat(Enumerable.Repeat("Z1f", 300)),
        ];

        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                foreach (var input in inputs)
                    AssertBounded(input[..Math.Min(input.Length, ItaniumDemangler.MaxMangledLength)]);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
    }
}
