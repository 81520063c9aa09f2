using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Patronus.GraphQL.Execution;

namespace Patronus.GraphQL.Transport;

/// <summary>Writes the server's messages as UTF-8 JSON text, in the reference server's field order.</summary>
internal static class GraphQLWsMessages
{
    // Messages are JSON text frames, never HTML: keep non-ASCII text readable (as ResultJson.Serialize).
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Each message is written synchronously, so one buffer and writer per thread are enough;
    // only the finished message is allocated.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static byte[] ConnectionAck(IReadOnlyDictionary<string, object?>? payload) => Write(
        GraphQLWsProtocol.ConnectionAck,
        id: null,
        payload,
        static (writer, payload) => ResultJson.WriteValue(writer, payload),
        hasPayload: payload is not null);

    public static byte[] Pong(JsonElement payload) => Write(
        GraphQLWsProtocol.Pong,
        id: null,
        payload,
        static (writer, payload) => payload.WriteTo(writer),
        hasPayload: payload.ValueKind == JsonValueKind.Object);

    public static byte[] Next(string id, ExecutionResult result) =>
        Write(GraphQLWsProtocol.Next, id, result, static (writer, result) => ResultJson.Write(writer, result), hasPayload: true);

    public static byte[] Error(string id, IReadOnlyList<GraphQLError> errors) =>
        Write(GraphQLWsProtocol.Error, id, errors, static (writer, errors) => ResultJson.WriteErrors(writer, errors), hasPayload: true);

    public static byte[] Complete(string id) =>
        Write(GraphQLWsProtocol.Complete, id, 0, static (_, _) => { }, hasPayload: false);

    private static byte[] Write<T>(string type, string? id, T payload, Action<Utf8JsonWriter, T> writePayload, bool hasPayload)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, s_writerOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();
        if (id is not null)
        {
            writer.WriteString("id"u8, id);
        }

        writer.WriteString("type"u8, type);
        if (hasPayload)
        {
            writer.WritePropertyName("payload"u8);
            writePayload(writer, payload);
        }

        writer.WriteEndObject();
        writer.Flush();
        var message = buffer.WrittenSpan.ToArray();

        // A huge result must not stay pinned to the thread.
        if (buffer.Capacity > 64 * 1024)
        {
            t_buffer = null;
            t_writer = null;
        }

        return message;
    }
}
