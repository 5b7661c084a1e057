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
        var other = Task.Run(() =>
        {
            for (int i = half; i < built.Length; i++) built[i] = build(items[i]);
        });
        try
        {
            for (int i = 0; i < half; i++) built[i] = build(items[i]);
        }
        finally
        {
            // Waited for either way: the caller must not see the array while the other half is filled.
            try { other.Wait(); }
            catch (AggregateException) { }
        }
        other.GetAwaiter().GetResult();
        return built;
    }

    /// <summary>
    /// Writes <paramref name="items"/> in order with <paramref name="write"/> (told each item's
    /// index): the second half is written meanwhile into text kept in memory on another thread,
    /// then copied after the first.
    /// </summary>
    public static void Write<T>(TextWriter w, IReadOnlyList<T> items, Action<TextWriter, T, int> write)
    {
        if (!Splits(items.Count))
        {
            for (int i = 0; i < items.Count; i++) write(w, items[i], i);
            return;
        }
        int half = items.Count / 2;
        var other = Task.Run(() =>
        {
            var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture) { NewLine = w.NewLine };
            for (int i = half; i < items.Count; i++) write(text, items[i], i);
            return text.GetStringBuilder();
        });
        try
        {
            for (int i = 0; i < half; i++) write(w, items[i], i);
        }
        finally
        {
            try { other.Wait(); }
            catch (AggregateException) { }
        }
        w.Write(other.GetAwaiter().GetResult());
    }
}
