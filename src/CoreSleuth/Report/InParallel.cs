namespace CoreSleuth.Report;

/// <summary>
/// Per-thread work of a report split between two processor cores: the records of ten thousand
/// threads, and their text, are independent of one another, and the order of the result is that of
/// the input. Small inputs stay on the calling thread, where a task would cost more than it saves.
/// </summary>
internal static class InParallel
{
    /// <summary>Below this many items the work is not split.</summary>
    public const int Minimum = 256;

    /// <summary>Whether <paramref name="count"/> items are split between two cores on this machine.</summary>
    public static bool Splits(int count) => count >= Minimum && Environment.ProcessorCount > 1;

    /// <summary><paramref name="build"/> of each item, in order; the second half built on another thread.</summary>
    public static TOut[] Map<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> build)
    {
        var built = new TOut[items.Count];
        if (!Splits(items.Count))
        {
            for (int i = 0; i < built.Length; i++) built[i] = build(items[i]);
            return built;
        }
        int half = built.Length / 2;
        Halves(
            () => { for (int i = 0; i < half; i++) built[i] = build(items[i]); },
            () => { for (int i = half; i < built.Length; i++) built[i] = build(items[i]); return true; });
        return built;
    }

    /// <summary>
    /// Writes <paramref name="items"/> in order with <paramref name="write"/> (told each item's
    /// index): the second half is written meanwhile on another thread into text kept in memory,
    /// then put after the first. Into a <see cref="StreamWriter"/> (standard output, a file), the
    /// second half is encoded as the first is and its bytes are written as they are; into any other
    /// writer, it is kept as characters and copied.
    /// </summary>
    public static void Write<T>(TextWriter w, IReadOnlyList<T> items, Action<TextWriter, T, int> write)
    {
        if (!Splits(items.Count))
        {
            for (int i = 0; i < items.Count; i++) write(w, items[i], i);
            return;
        }
        int half = items.Count / 2;
        if (w is StreamWriter writer)
        {
            var encoded = Halves(
                () => { for (int i = 0; i < half; i++) write(w, items[i], i); },
                () =>
                {
                    // A StreamWriter starts with the encoding's preamble, which belongs only at the start of the report.
                    var text = new EncodedText(discardFirst: writer.Encoding.Preamble.Length);
                    using (var second = new StreamWriter(text, writer.Encoding, 1 << 16, leaveOpen: true) { NewLine = w.NewLine })
                        for (int i = half; i < items.Count; i++) write(second, items[i], i);
                    return text;
                });
            writer.Flush();
            foreach (var block in encoded.Written) writer.BaseStream.Write(block.Span);
            return;
        }
        var second = Halves(
            () => { for (int i = 0; i < half; i++) write(w, items[i], i); },
            () =>
            {
                var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture) { NewLine = w.NewLine };
                for (int i = half; i < items.Count; i++) write(text, items[i], i);
                return text.GetStringBuilder();
            });
        w.Write(second);
    }

    /// <summary>
    /// Runs <paramref name="second"/> on another thread while <paramref name="first"/> runs on this
    /// one, and returns the second's result. The other thread is waited for either way, so that the
    /// caller never sees what it fills half done; its failure is rethrown.
    /// </summary>
    private static T Halves<T>(Action first, Func<T> second)
    {
        var other = Task.Run(second);
        try { first(); }
        finally
        {
            try { other.Wait(); }
            catch (AggregateException) { }
        }
        return other.GetAwaiter().GetResult();
    }
}
