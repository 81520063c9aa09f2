using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Validation;

namespace Patronus.GraphQL.Execution;

public sealed partial class Executor
{
    // Documents that parsed and passed validation against this executor's schema, by their text.
    // Parsing and validating is most of a small query's cost, and clients repeat the same few texts.
    private readonly ConcurrentDictionary<string, DocumentNode> _documents = new(StringComparer.Ordinal);

    /// <summary>How many validated documents the cache holds now.</summary>
    internal int CachedDocumentCount => _documents.Count;

    /// <summary>The parsed, validated document of <paramref name="query"/>, from the cache when it was seen before; else the request error.</summary>
    private bool TryGetValidDocument(string query, CancellationToken cancellationToken, [NotNullWhen(true)] out DocumentNode? document, [NotNullWhen(false)] out ExecutionResult? error)
    {
        if (_documents.TryGetValue(query, out document))
        {
            error = null;
            return true;
        }

        if (!Parser.TryParse(query, out var parsed, out var syntaxError, Options.Parser))
        {
            error = ExecutionResult.RequestError([GraphQLError.From(syntaxError!)]);
            return false;
        }

        document = parsed!;
        var validationErrors = DocumentValidator.Validate(Schema, document, cancellationToken: cancellationToken);
        if (validationErrors.Count > 0)
        {
            document = null;
            error = ExecutionResult.RequestError(validationErrors);
            return false;
        }

        if (Options.DocumentCacheSize > 0)
        {
            // Bounded without bookkeeping per hit: a full cache starts over. A client sending ever
            // new texts thus costs what it would without a cache, and repeated texts return at once.
            if (_documents.Count >= Options.DocumentCacheSize)
            {
                _documents.Clear();
            }

            _documents.TryAdd(query, document);
        }

        error = null;
        return true;
    }
}
