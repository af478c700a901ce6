import CLibYAML

/// Pulls events from libyaml's event parser, one at a time, and owns the
/// parser's C resources.
///
/// Not copyable and freed in `deinit`, so the parser is released on every
/// path, including a thrown error. The parser lives on the heap because
/// libyaml keeps a pointer to it (its string reader reads through itself).
struct LibYAMLEventStream: ~Copyable {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let source: SourceText

    /// `input` must stay valid until the stream is gone: libyaml reads it
    /// lazily. ``YAMLLoader`` scopes both to one `withUnsafeBufferPointer`.
    init(input: UnsafeBufferPointer<UInt8>) throws(YAMLProblem) {
        guard let base = input.baseAddress else {
            preconditionFailure("LibYAMLEventStream needs a non-empty input")
        }
        // Set up fully before storing anything: once `self` is initialized,
        // `deinit` owns the cleanup, and a failure here must not reach it.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            throw YAMLProblem(mark: nil, message: "out of memory while setting up the YAML parser")
        }
        // Force UTF-8: libyaml's byte offsets then match our input, and a
        // configuration file in UTF-16 is rejected with a clear message
        // rather than silently accepted.
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, base, input.count)
        self.parser = parser
        self.source = SourceText(bytes: input)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
    }

    /// The next event, or the parse error that stopped libyaml.
    mutating func next() throws(YAMLProblem) -> ParserEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else {
            throw LibYAMLErrorMessages.problem(for: parser.pointee, in: source)
        }
        defer { yaml_event_delete(&event) }
        return Self.translate(event)
    }

    private static func translate(_ event: yaml_event_t) -> ParserEvent {
        let mark = YAMLMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_STREAM_START_EVENT:
            return .streamStart
        case YAML_STREAM_END_EVENT:
            return .streamEnd
        case YAML_DOCUMENT_START_EVENT:
            return .documentStart(mark)
        case YAML_DOCUMENT_END_EVENT:
            return .documentEnd
        case YAML_ALIAS_EVENT:
            return .alias(string(event.data.alias.anchor) ?? "", mark: mark)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = scalar.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self)
            } ?? ""
            return .scalar(text, style(scalar.style), tag: string(scalar.tag), anchor: string(scalar.anchor), mark: mark)
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            return .sequenceStart(tag: string(start.tag), anchor: string(start.anchor), mark: mark)
        case YAML_SEQUENCE_END_EVENT:
            return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            return .mappingStart(tag: string(start.tag), anchor: string(start.anchor), mark: mark)
        case YAML_MAPPING_END_EVENT:
            return .mappingEnd
        default:
            // YAML_NO_EVENT is never returned by a successful parse.
            preconditionFailure("libyaml returned an unknown event type \(event.type.rawValue)")
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }
}
