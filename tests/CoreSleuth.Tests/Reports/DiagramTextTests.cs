using System.Text;
using CoreSleuth.Report;
using CoreSleuth.Tests.Support;
using CsCheck;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// The escaping of diagram labels and ids (<see cref="MermaidText"/>, <see cref="DotText"/>), judged
/// by Mermaid's own parser and by Graphviz: hostile strings from a core must give a valid diagram
/// whose labels show exactly the sanitised text.
/// </summary>
public class DiagramTextTests
{
    /// <summary>Strings a core can hold, aimed at Mermaid's lexer, its entity codes, its renderer, HTML and DOT.</summary>
    public static readonly string[] Hostile =
    [
        "say \"hi\" 'there'",
        "brackets [a] (b) {c} ((d)) [[e]] {{f}} >g] [/h/]",
        "pipe | in |\"the\"| middle",
        "`markdown` **bold** _it_",
        "`starts with a backtick",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>&amp; &lt;b&gt;",
        "#quot; #35; #lt; #9829; literally",
        "%% comment %%{init: {\"theme\": \"dark\"}}%%",
        "end",
        "a --> b -.-> c ==> d --- e",
        "click n_0 call alert() style classDef class subgraph graph",
        "line one\nline two\r\nthree",
        "tab\there",
        "\u001b[31mred\u001b[0m \u009b31m",
        "SELECT * FROM t1 JOIN t2 ON t1.id = t2.id WHERE t1.name LIKE '%x%' AND t2.v > 3 " + new string('x', 230),
        "unicode: Grüße 日本語 😀 ﬂ°x¶ß \u00a0nbsp\u00a0",
        " leading and trailing spaces ",
        @"C:\new\Name \N \G \L \\n",
        "$$x^2$$ and fa:fa-car and fab:fa-github",
        "semi;colon #; ;# #x; &#35; &",
        "",
    ];

    private static string Expected(string text) => TextSanitizer.Sanitize(text, MermaidText.DefaultMaxLength);

    /// <summary>
    /// The sanitised text as Graphviz writes it in SVG, where a space after a space is a no-break
    /// space so that the run is not collapsed.
    /// </summary>
    private static string ExpectedInSvg(string text)
    {
        var sb = new StringBuilder(Expected(text));
        for (int i = sb.Length - 1; i > 0; i--)
            if (sb[i] == ' ' && sb[i - 1] == ' ') sb[i] = '\u00a0';
        return sb.ToString();
    }

    /// <summary>What a Mermaid label shows, less the invisible joiners <see cref="MermaidText.Label"/> puts in.</summary>
    private static string Shown(MermaidLabel label) => label.Text.Replace(MermaidText.Joiner.ToString(), "");

    // A flowchart with node i labelled Hostile[i] and an edge from node i to node i+1 labelled the same.
    private static string Flowchart(IReadOnlyList<string> labels)
    {
        var sb = new StringBuilder("flowchart LR\n");
        for (int i = 0; i < labels.Count; i++)
            sb.Append("  ").Append(MermaidText.NodeId($"t{i}")).Append('[').Append(MermaidText.Label(labels[i])).Append("]\n");
        for (int i = 0; i < labels.Count; i++)
            sb.Append("  ").Append(MermaidText.NodeId($"t{i}")).Append(" -->").Append(MermaidText.EdgeLabel(labels[i]))
              .Append(' ').Append(MermaidText.NodeId($"t{(i + 1) % labels.Count}")).Append('\n');
        return sb.ToString();
    }

    private static string DotGraph(IReadOnlyList<string> labels)
    {
        var sb = new StringBuilder("digraph waits {\n");
        for (int i = 0; i < labels.Count; i++)
            sb.Append("  ").Append(DotText.NodeId($"t{i}")).Append(" [label=").Append(DotText.Quote(labels[i])).Append("];\n");
        for (int i = 0; i < labels.Count; i++)
            sb.Append("  ").Append(DotText.NodeId($"t{i}")).Append(" -> ").Append(DotText.NodeId($"t{(i + 1) % labels.Count}"))
              .Append(" [label=").Append(DotText.Quote(labels[i])).Append("];\n");
        return sb.Append("}\n").ToString();
    }

    [Fact]
    public void Labels_are_one_quoted_string_with_only_plain_characters_raw()
    {
        Assert.Equal("\"#60;script#62;alert(1)#60;/script#62;\"", MermaidText.Label("<script>alert(1)</script>"));
        Assert.Equal("\"#34;a#34; #35;quot#59;\"", MermaidText.Label("\"a\" #quot;"));
        Assert.Equal("\"#8288;\"", MermaidText.Label(null)); // an empty "" is a syntax error
        Assert.Equal("\"#32;x#32;\"", MermaidText.Label(" x "));
        Assert.Equal("\"a#92;#8288;nb\"", MermaidText.Label("a\nb")); // sanitised to a\nb, the joiner keeps it from being a line break
        Assert.Equal("|\"x#124;y\"|", MermaidText.EdgeLabel("x|y"));
        Assert.Equal("\"a\\\\nb \\\"q\\\" &amp;lt;\"", DotText.Quote("a\nb \"q\" &lt;"));
        Assert.True(MermaidText.Label(new string('y', 5000)).Length < 130);
    }

    [Fact]
    public void Node_ids_are_distinct_plain_words_that_are_never_keywords()
    {
        string[] keys = ["end", "graph", "subgraph", "click", "style", "class", "node", "edge", "o1", "x", "", "a b", "a_b", "a_005fb", "ü", new string('k', 500), new string('k', 499) + "j"];
        var ids = keys.Select(MermaidText.NodeId).ToList();
        Assert.Equal(keys.Length, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^n_[A-Za-z0-9_]{0,62}$", id));
        Assert.All(keys, k => Assert.Equal(MermaidText.NodeId(k), DotText.NodeId(k)));
    }

    [MermaidFact]
    public void The_Mermaid_referee_rejects_an_invalid_flowchart_and_names_the_line()
    {
        var errors = DiagramValidators.MermaidErrors([
            "flowchart LR\n  a[x]] --> b\n",
            "flowchart LR\n  end --> b\n",
            "flowchart LR\n  a[\"ok\"] --> b\n",
            // Mermaid's limits: 500 edges (the parser's), 50,000 characters (the renderer's).
            "flowchart LR\n" + string.Concat(Enumerable.Range(0, 501).Select(i => $"  a --> b{i}\n")),
            "flowchart LR\n" + string.Concat(Enumerable.Range(0, 500).Select(i => $"  n{i}[\"{new string('x', 100)}\"]\n"))]);
        Assert.Contains("line 2", errors[0]);
        Assert.NotNull(errors[1]);
        Assert.Null(errors[2]);
        Assert.Contains("Edge limit exceeded", errors[3]);
        Assert.Contains("Maximum text size", errors[4]);
    }

    [MermaidFact]
    public void The_Mermaid_referee_sees_what_naive_labels_would_show()
    {
        // Unescaped, a quote ends the label early: an error, or worse, quietly dropped; an entity
        // code, a \n or $$ change what is shown.
        var results = DiagramValidators.CheckMermaid([
            "flowchart LR\n  a[\"x\"]\"]\n",
            "flowchart LR\n  a[\"say \"hi\"\"]\n",
            "flowchart LR\n  a[\"#quot;x#quot; <b>y</b> \\n $$z$$\"]\n"]);
        Assert.Contains("line 2", results[0].Error);
        Assert.Equal("say hi", Assert.Single(results[1].Nodes).Label.Text);
        Assert.Null(results[2].Error);
        var label = Assert.Single(results[2].Nodes).Label;
        Assert.Equal("\"x\" y \n $$z$$", label.Text);
        Assert.Equal(["element <b>", "katex", "line break"], label.Notes.Distinct().Order(StringComparer.Ordinal).ToList());
    }

    [MermaidFact]
    public void A_flowchart_of_hostile_labels_is_valid_and_shows_each_label_as_sanitised()
    {
        var result = DiagramValidators.CheckMermaid([Flowchart(Hostile)])[0];
        Assert.Null(result.Error);
        Assert.Equal(Hostile.Length, result.Nodes.Count);
        for (int i = 0; i < Hostile.Length; i++)
        {
            var node = Assert.Single(result.Nodes, n => n.Id == MermaidText.NodeId($"t{i}"));
            Assert.Equal(Expected(Hostile[i]), Shown(node.Label));
            Assert.Empty(node.Label.Notes);
            var edge = Assert.Single(result.Edges, e => e.Start == node.Id);
            Assert.Equal(Expected(Hostile[i]), Shown(edge.Label));
            Assert.Empty(edge.Label.Notes);
        }
    }

    [DotFact]
    public void The_DOT_referee_rejects_an_invalid_graph_with_Graphviz_message()
    {
        Assert.Contains("syntax error", DiagramValidators.DotErrors("digraph { a -> ; \"b }\n"));
        Assert.Null(DiagramValidators.DotErrors("digraph { a -> b }\n"));
    }

    [DotFact]
    public void The_DOT_referee_sees_what_naive_labels_would_show()
    {
        var drawn = DiagramValidators.DrawDot("digraph { a [label=\"x &amp; \\N\"]; }\n");
        Assert.Null(drawn.Error);
        Assert.Equal("x & a", Assert.Single(drawn.Nodes).Text);
    }

    [DotFact]
    public void A_DOT_graph_of_hostile_labels_draws_cleanly_and_shows_each_label_as_sanitised()
    {
        var drawn = DiagramValidators.DrawDot(DotGraph(Hostile));
        Assert.Null(drawn.Error);
        for (int i = 0; i < Hostile.Length; i++)
        {
            string id = DotText.NodeId($"t{i}");
            Assert.Equal(ExpectedInSvg(Hostile[i]), Assert.Single(drawn.Nodes, n => n.Title == id).Text);
            Assert.Equal(ExpectedInSvg(Hostile[i]), Assert.Single(drawn.Edges, e => e.Title.StartsWith(id + "->", StringComparison.Ordinal)).Text);
        }
    }

    // Random strings: any UTF-16 units, and strings over the characters that mean something to
    // Mermaid, HTML, Markdown or DOT. Each batch of 300 is one node run or one dot run.
    private static readonly Gen<string[]> RandomLabels = Gen.OneOf(
        Gen.String[0, 80],
        Gen.String[Gen.Char["\"#%&<>{}[]()|`;:$\\/*_-=.!?'~^@ \t\nNnfaend0123456789\u00a0\u2028ﬂ°¶ß😀日"], 0, 80]).Array[300];

    [MermaidFact]
    public void Random_labels_give_valid_flowcharts_that_show_the_sanitised_text() =>
        RandomLabels.Sample(labels =>
        {
            // Ten labels a diagram: Mermaid's set-up of each parse costs more than the labels.
            var chunks = labels.Chunk(10).ToList();
            var diagrams = chunks.Select(c => Flowchart(c)).ToList();
            var results = DiagramValidators.CheckMermaid(diagrams);
            for (int d = 0; d < chunks.Count; d++)
            {
                Assert.True(results[d].Error is null, $"{results[d].Error}\ndiagram:\n{diagrams[d]}");
                for (int i = 0; i < chunks[d].Length; i++)
                {
                    string label = chunks[d][i], id = MermaidText.NodeId($"t{i}");
                    var node = Assert.Single(results[d].Nodes, n => n.Id == id);
                    var edge = Assert.Single(results[d].Edges, e => e.Start == id);
                    foreach (var (what, shown) in new[] { ("node", node.Label), ("edge", edge.Label) })
                        Assert.True(Expected(label) == Shown(shown) && shown.Notes.Count == 0,
                            $"label {TextSanitizer.Quote(label)} written {MermaidText.Label(label)}: the {what} shows {TextSanitizer.Quote(Shown(shown))} {string.Join(", ", shown.Notes)}");
                }
            }
        }, iter: 1, threads: 1);

    [DotFact]
    public void Random_labels_give_DOT_graphs_that_show_the_sanitised_text() =>
        RandomLabels.Sample(labels =>
        {
            var drawn = DiagramValidators.DrawDot(DotGraph(labels));
            Assert.True(drawn.Error is null, drawn.Error);
            for (int i = 0; i < labels.Length; i++)
            {
                string id = DotText.NodeId($"t{i}");
                Assert.Equal(ExpectedInSvg(labels[i]), Assert.Single(drawn.Nodes, n => n.Title == id).Text);
            }
        }, iter: 3, threads: 1);
}
