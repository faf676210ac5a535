from index.text.sentences import split_sentences


def sentences(text):
    return [s.of(text) for s in split_sentences(text)]


def test_splits_at_sentence_ends():
    assert sentences("The town fell. Rebels advanced! Who holds it? Nobody knows.") == [
        "The town fell.", "Rebels advanced!", "Who holds it?", "Nobody knows."]


def test_keeps_abbreviations_and_initials():
    text = "A U.S.-backed force left. Mr. Smith met Dr. J. Jones on Jan. 5 in Washington. It rained."
    assert sentences(text) == ["A U.S.-backed force left.", "Mr. Smith met Dr. J. Jones on Jan. 5 in Washington.",
                               "It rained."]


def test_closing_quotes_stay_with_their_sentence():
    text = 'He said "it is lost." Then he left.'
    assert sentences(text) == ['He said "it is lost."', "Then he left."]


def test_line_breaks_end_sentences_and_spans_are_exact():
    text = "Headline without a stop\n\nBody starts here. and lower case continues."
    spans = split_sentences(text)
    assert [s.of(text) for s in spans] == ["Headline without a stop", "Body starts here. and lower case continues."]
    assert all(not text[s.start].isspace() and not text[s.end - 1].isspace() for s in spans)  # trimmed
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))  # in order, not overlapping


def test_ellipsis_inside_a_quote_does_not_split():
    assert len(sentences('"The strikes targeted... displaced families," he said.')) == 1
