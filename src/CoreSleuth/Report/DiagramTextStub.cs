namespace CoreSleuth.Report;

// TEMPORARY until the diagram branch lands.
public static class MermaidText
{
    public static string Label(string text) => "\"" + text.Replace("\"", "#quot;") + "\"";
    public static string NodeId(string key) => key;
}

public static class DotText
{
    public static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    public static string NodeId(string key) => key;
}
