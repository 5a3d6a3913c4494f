# Prints the segments of a one-interchange EDIFACT file as JSON lines, as examples/dump.rs does,
# using PyPI pydifact 0.2.3, to cross-check the parser: diff the two outputs (UNB aside).
import sys, json
from pydifact.segmentcollection import Interchange
raw = open(sys.argv[1], 'rb').read()
text = raw.decode('utf-8') if b'UNOW' in raw[:40] or b'UNOY' in raw[:40] else raw.decode('latin-1')
text = text.replace('\n', '')
# pydifact parses one interchange; split on UNZ boundaries is not needed for these files.
ic = Interchange.from_str(text)
def norm(el):
    return el if isinstance(el, list) else [el]
segs = [ic.get_header_segment()] + list(ic.segments) + [ic.get_footer_segment()]
for s in segs:
    print(json.dumps([s.tag, [norm(e) for e in s.elements]], ensure_ascii=False, separators=(',', ':')))
