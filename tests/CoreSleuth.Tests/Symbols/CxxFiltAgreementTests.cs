using System.Globalization;
using CoreSleuth.Analysis.Symbols;
using Xunit.Abstractions;

namespace CoreSleuth.Tests.Symbols;

/// <summary>
/// Measures how often <see cref="ItaniumDemangler"/> prints exactly what GNU c++filt prints
/// for every C++ symbol of real libraries: this machine's libstdc++ and the FreeBSD 13.5
/// libc++ and libcxxrt of the shared corpus. Each library must agree on at least 99.5% of its
/// symbols; the disagreements are written to the test output.
/// Run with: dotnet test tests/CoreSleuth.Tests --filter "FullyQualifiedName~CoreSleuth.Tests.Symbols.CxxFiltAgreementTests" --logger "console;verbosity=detailed"
/// </summary>
public sealed class CxxFiltAgreementTests(ITestOutputHelper output)
{
    private const double RequiredAgreement = 0.995;

    /// <summary>Resolves a library key to a file; null when it is not on this machine.</summary>
    internal static string? ResolveLibrary(string key) => key switch
    {
        "libstdc++" => SymbolTestEnvironment.SystemLibStdCxx(),
        _ => SymbolTestEnvironment.CorpusFile(Path.Combine("binaries", key)),
    };

    [CxxFiltAgreementFact("libstdc++")]
    public void AgreesWithCxxFiltOnThisMachinesLibStdCxx() => Measure("libstdc++");

    [CxxFiltAgreementFact("freebsd13.5/libc++.so.1")]
    public void AgreesWithCxxFiltOnFreeBsdLibCxx() => Measure("freebsd13.5/libc++.so.1");

    [CxxFiltAgreementFact("freebsd13.5/libcxxrt.so.1")]
    public void AgreesWithCxxFiltOnFreeBsdLibCxxRt() => Measure("freebsd13.5/libcxxrt.so.1");

    private void Measure(string key)
    {
        var file = ResolveLibrary(key)!;
        var readelf = SymbolTestEnvironment.FindOnPath("readelf")!;
        var cxxfilt = SymbolTestEnvironment.FindOnPath("c++filt")!;

        var symbols = SymbolTestEnvironment.CxxSymbols(readelf, file);
        // These libraries export thousands of C++ symbols (libcxxrt a few hundred); a handful
        // would mean the symbol tables were not read.
        Assert.True(symbols.Count >= 100, $"only {symbols.Count} C++ symbols found in {file}");

        var gnu = SymbolTestEnvironment.CxxFilt(cxxfilt, symbols);
        Assert.Equal(symbols.Count, gnu.Count);

        var differences = new List<(string Mangled, string Gnu, string Ours)>();
        int gnuDemangled = 0;
        for (int i = 0; i < symbols.Count; i++)
        {
            // c++filt echoes a name it cannot demangle; TryDemangle does the same.
            ItaniumDemangler.TryDemangle(symbols[i], out var ours);
            if (gnu[i] != symbols[i])
                gnuDemangled++;
            if (!string.Equals(ours, gnu[i], StringComparison.Ordinal))
                differences.Add((symbols[i], gnu[i], ours));
        }

        int identical = symbols.Count - differences.Count;
        double rate = (double)identical / symbols.Count;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{file}: {symbols.Count} C++ symbols ({gnuDemangled} demangled by c++filt), {identical} identical, {differences.Count} different, agreement {rate:P3}"));
        foreach (var (mangled, gnuText, ours) in differences.Take(500))
        {
            output.WriteLine(mangled);
            output.WriteLine("  c++filt: " + gnuText);
            output.WriteLine("  ours:    " + ours);
        }

        if (differences.Count > 500)
            output.WriteLine($"... and {differences.Count - 500} more");

        Assert.True(rate >= RequiredAgreement,
            string.Create(CultureInfo.InvariantCulture, $"agreement with c++filt on {file} is {rate:P3} ({differences.Count} of {symbols.Count} differ), below {RequiredAgreement:P1}"));
    }
}

/// <summary>A fact that is skipped, with the reason, when c++filt, readelf or the library is missing.</summary>
public sealed class CxxFiltAgreementFactAttribute : FactAttribute
{
    public CxxFiltAgreementFactAttribute(string library)
    {
        if (SymbolTestEnvironment.FindOnPath("c++filt") is null)
            Skip = "GNU c++filt is not on PATH";
        else if (SymbolTestEnvironment.FindOnPath("readelf") is null)
            Skip = "readelf is not on PATH";
        else if (CxxFiltAgreementTests.ResolveLibrary(library) is null)
            Skip = $"{library} is not available (system libstdc++ via ldconfig, or ../shared/corpus/binaries next to the repository)";
    }
}
