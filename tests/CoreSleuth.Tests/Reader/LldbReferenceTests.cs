using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// The parser of LLDB's session must not depend on where LLDB's stderr lands among its stdout:
/// the live oracle folds both into one pipe, and under load the refusal of <c>thread select</c>
/// has arrived after the next command's echo.
/// </summary>
public sealed class LldbReferenceTests
{
    private const string Session = "lldb-x86-64-freebsd14-multithread.lldb.txt";
    private const string Refusal = "error: invalid thread #5.";

    [CorpusTheory]
    [InlineData(-2)] // before "(lldb) thread select 5"
    [InlineData(1)]  // after "(lldb) register read --all"
    [InlineData(40)] // among the registers printed again for thread 4
    public void RefusedThreadHasNoRegistersWhereverTheRefusalLands(int shift)
    {
        var recorded = File.ReadAllLines(Corpus.Reference(Session)).ToList();
        int at = recorded.IndexOf(Refusal);
        Assert.True(at > 0, $"{Session} no longer records the refusal of thread 5");
        var expected = LldbReference.Parse(recorded);

        var moved = new List<string>(recorded);
        moved.RemoveAt(at);
        moved.Insert(at + shift, Refusal);
        Assert.NotEqual(recorded, moved);
        var parsed = LldbReference.Parse(moved);

        Assert.Equal([1, 2, 3, 4], parsed.Registers.Keys.Order());
        Assert.Equal(expected.Registers.Keys.Order(), parsed.Registers.Keys.Order());
        foreach (var (index, registers) in expected.Registers)
            Assert.Equal(registers.OrderBy(r => r.Key), parsed.Registers[index].OrderBy(r => r.Key));
    }
}
