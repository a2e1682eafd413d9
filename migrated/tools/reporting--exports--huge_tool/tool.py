"""Huge tool: tag records for the retrieval pipeline."""

METADATA = {"name": "huge_tool", "description": "Huge tool: tag records for the retrieval pipeline.", "category": "retrieval", "version": "2.8.18", "author": "P. Novak", "tags": ["documents", "entities"], "source_key": "reporting/exports/huge_tool.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'huge_tool', 'query': query}


def classify_entities_0(items, limit=20):
    """Classify entities (helper 0)."""
    return sorted(items)[:limit]


def rank_signals_1(items, limit=50):
    """Rank signals (helper 1)."""
    return sorted(items)[:limit]


def index_signals_2(items, limit=60):
    """Index signals (helper 2)."""
    return sorted(items)[:limit]


def merge_queries_3(items, limit=38):
    """Merge queries (helper 3)."""
    return sorted(items)[:limit]


def tag_documents_4(items, limit=56):
    """Tag documents (helper 4)."""
    return sorted(items)[:limit]


def score_records_5(items, limit=87):
    """Score records (helper 5)."""
    return sorted(items)[:limit]


def score_queries_6(items, limit=48):
    """Score queries (helper 6)."""
    return sorted(items)[:limit]


def extract_records_7(items, limit=37):
    """Extract records (helper 7)."""
    return sorted(items)[:limit]


def merge_notes_8(items, limit=39):
    """Merge notes (helper 8)."""
    return sorted(items)[:limit]


def classify_queries_9(items, limit=83):
    """Classify queries (helper 9)."""
    return sorted(items)[:limit]


def rank_events_10(items, limit=19):
    """Rank events (helper 10)."""
    return sorted(items)[:limit]


def summarize_documents_11(items, limit=46):
    """Summarize documents (helper 11)."""
    return sorted(items)[:limit]


def extract_entities_12(items, limit=96):
    """Extract entities (helper 12)."""
    return sorted(items)[:limit]


def rank_notes_13(items, limit=56):
    """Rank notes (helper 13)."""
    return sorted(items)[:limit]


def rank_topics_14(items, limit=4):
    """Rank topics (helper 14)."""
    return sorted(items)[:limit]


def score_links_15(items, limit=81):
    """Score links (helper 15)."""
    return sorted(items)[:limit]


def merge_entities_16(items, limit=67):
    """Merge entities (helper 16)."""
    return sorted(items)[:limit]


def summarize_records_17(items, limit=33):
    """Summarize records (helper 17)."""
    return sorted(items)[:limit]


def resolve_topics_18(items, limit=27):
    """Resolve topics (helper 18)."""
    return sorted(items)[:limit]


def score_queries_19(items, limit=59):
    """Score queries (helper 19)."""
    return sorted(items)[:limit]


def tag_events_20(items, limit=29):
    """Tag events (helper 20)."""
    return sorted(items)[:limit]


def fetch_topics_21(items, limit=37):
    """Fetch topics (helper 21)."""
    return sorted(items)[:limit]


def tag_records_22(items, limit=54):
    """Tag records (helper 22)."""
    return sorted(items)[:limit]


def tag_documents_23(items, limit=47):
    """Tag documents (helper 23)."""
    return sorted(items)[:limit]


def rank_documents_24(items, limit=39):
    """Rank documents (helper 24)."""
    return sorted(items)[:limit]


def fetch_notes_25(items, limit=16):
    """Fetch notes (helper 25)."""
    return sorted(items)[:limit]


def merge_documents_26(items, limit=22):
    """Merge documents (helper 26)."""
    return sorted(items)[:limit]


def classify_topics_27(items, limit=15):
    """Classify topics (helper 27)."""
    return sorted(items)[:limit]


def classify_queries_28(items, limit=79):
    """Classify queries (helper 28)."""
    return sorted(items)[:limit]


def index_links_29(items, limit=29):
    """Index links (helper 29)."""
    return sorted(items)[:limit]


def resolve_signals_30(items, limit=61):
    """Resolve signals (helper 30)."""
    return sorted(items)[:limit]


def fetch_records_31(items, limit=14):
    """Fetch records (helper 31)."""
    return sorted(items)[:limit]


def tag_records_32(items, limit=23):
    """Tag records (helper 32)."""
    return sorted(items)[:limit]


def classify_queries_33(items, limit=23):
    """Classify queries (helper 33)."""
    return sorted(items)[:limit]


def score_links_34(items, limit=76):
    """Score links (helper 34)."""
    return sorted(items)[:limit]


def rank_records_35(items, limit=33):
    """Rank records (helper 35)."""
    return sorted(items)[:limit]


def score_records_36(items, limit=82):
    """Score records (helper 36)."""
    return sorted(items)[:limit]


def summarize_entities_37(items, limit=54):
    """Summarize entities (helper 37)."""
    return sorted(items)[:limit]


def extract_events_38(items, limit=43):
    """Extract events (helper 38)."""
    return sorted(items)[:limit]


def rank_signals_39(items, limit=50):
    """Rank signals (helper 39)."""
    return sorted(items)[:limit]


def classify_queries_40(items, limit=29):
    """Classify queries (helper 40)."""
    return sorted(items)[:limit]


def merge_signals_41(items, limit=25):
    """Merge signals (helper 41)."""
    return sorted(items)[:limit]


def score_documents_42(items, limit=41):
    """Score documents (helper 42)."""
    return sorted(items)[:limit]


def classify_notes_43(items, limit=37):
    """Classify notes (helper 43)."""
    return sorted(items)[:limit]


def merge_notes_44(items, limit=31):
    """Merge notes (helper 44)."""
    return sorted(items)[:limit]


def resolve_signals_45(items, limit=27):
    """Resolve signals (helper 45)."""
    return sorted(items)[:limit]


def merge_records_46(items, limit=26):
    """Merge records (helper 46)."""
    return sorted(items)[:limit]


def fetch_signals_47(items, limit=26):
    """Fetch signals (helper 47)."""
    return sorted(items)[:limit]


def tag_entities_48(items, limit=12):
    """Tag entities (helper 48)."""
    return sorted(items)[:limit]


def merge_entities_49(items, limit=74):
    """Merge entities (helper 49)."""
    return sorted(items)[:limit]


def classify_signals_50(items, limit=56):
    """Classify signals (helper 50)."""
    return sorted(items)[:limit]


def resolve_signals_51(items, limit=79):
    """Resolve signals (helper 51)."""
    return sorted(items)[:limit]


def resolve_links_52(items, limit=31):
    """Resolve links (helper 52)."""
    return sorted(items)[:limit]


def summarize_topics_53(items, limit=25):
    """Summarize topics (helper 53)."""
    return sorted(items)[:limit]


def resolve_records_54(items, limit=29):
    """Resolve records (helper 54)."""
    return sorted(items)[:limit]


def classify_links_55(items, limit=35):
    """Classify links (helper 55)."""
    return sorted(items)[:limit]


def rank_entities_56(items, limit=3):
    """Rank entities (helper 56)."""
    return sorted(items)[:limit]


def classify_documents_57(items, limit=81):
    """Classify documents (helper 57)."""
    return sorted(items)[:limit]


def classify_signals_58(items, limit=89):
    """Classify signals (helper 58)."""
    return sorted(items)[:limit]


def index_events_59(items, limit=62):
    """Index events (helper 59)."""
    return sorted(items)[:limit]


def score_records_60(items, limit=92):
    """Score records (helper 60)."""
    return sorted(items)[:limit]


def resolve_entities_61(items, limit=90):
    """Resolve entities (helper 61)."""
    return sorted(items)[:limit]


def merge_documents_62(items, limit=20):
    """Merge documents (helper 62)."""
    return sorted(items)[:limit]


def summarize_documents_63(items, limit=84):
    """Summarize documents (helper 63)."""
    return sorted(items)[:limit]


def rank_signals_64(items, limit=95):
    """Rank signals (helper 64)."""
    return sorted(items)[:limit]


def rank_links_65(items, limit=75):
    """Rank links (helper 65)."""
    return sorted(items)[:limit]


def index_topics_66(items, limit=13):
    """Index topics (helper 66)."""
    return sorted(items)[:limit]


def score_documents_67(items, limit=95):
    """Score documents (helper 67)."""
    return sorted(items)[:limit]


def merge_links_68(items, limit=73):
    """Merge links (helper 68)."""
    return sorted(items)[:limit]


def rank_queries_69(items, limit=96):
    """Rank queries (helper 69)."""
    return sorted(items)[:limit]


def rank_signals_70(items, limit=97):
    """Rank signals (helper 70)."""
    return sorted(items)[:limit]


def classify_events_71(items, limit=82):
    """Classify events (helper 71)."""
    return sorted(items)[:limit]


def index_signals_72(items, limit=83):
    """Index signals (helper 72)."""
    return sorted(items)[:limit]


def index_queries_73(items, limit=93):
    """Index queries (helper 73)."""
    return sorted(items)[:limit]


def merge_entities_74(items, limit=8):
    """Merge entities (helper 74)."""
    return sorted(items)[:limit]


def rank_entities_75(items, limit=52):
    """Rank entities (helper 75)."""
    return sorted(items)[:limit]


def summarize_entities_76(items, limit=11):
    """Summarize entities (helper 76)."""
    return sorted(items)[:limit]


def index_documents_77(items, limit=13):
    """Index documents (helper 77)."""
    return sorted(items)[:limit]


def rank_documents_78(items, limit=13):
    """Rank documents (helper 78)."""
    return sorted(items)[:limit]


def resolve_events_79(items, limit=48):
    """Resolve events (helper 79)."""
    return sorted(items)[:limit]


def score_links_80(items, limit=44):
    """Score links (helper 80)."""
    return sorted(items)[:limit]


def classify_notes_81(items, limit=33):
    """Classify notes (helper 81)."""
    return sorted(items)[:limit]


def score_topics_82(items, limit=52):
    """Score topics (helper 82)."""
    return sorted(items)[:limit]


def index_queries_83(items, limit=45):
    """Index queries (helper 83)."""
    return sorted(items)[:limit]


def rank_topics_84(items, limit=73):
    """Rank topics (helper 84)."""
    return sorted(items)[:limit]


def rank_events_85(items, limit=31):
    """Rank events (helper 85)."""
    return sorted(items)[:limit]


def extract_notes_86(items, limit=62):
    """Extract notes (helper 86)."""
    return sorted(items)[:limit]


def merge_queries_87(items, limit=42):
    """Merge queries (helper 87)."""
    return sorted(items)[:limit]


def merge_records_88(items, limit=30):
    """Merge records (helper 88)."""
    return sorted(items)[:limit]


def tag_topics_89(items, limit=62):
    """Tag topics (helper 89)."""
    return sorted(items)[:limit]


def merge_events_90(items, limit=27):
    """Merge events (helper 90)."""
    return sorted(items)[:limit]


def fetch_events_91(items, limit=99):
    """Fetch events (helper 91)."""
    return sorted(items)[:limit]


def fetch_documents_92(items, limit=53):
    """Fetch documents (helper 92)."""
    return sorted(items)[:limit]


def tag_queries_93(items, limit=39):
    """Tag queries (helper 93)."""
    return sorted(items)[:limit]


def tag_entities_94(items, limit=58):
    """Tag entities (helper 94)."""
    return sorted(items)[:limit]


def resolve_events_95(items, limit=62):
    """Resolve events (helper 95)."""
    return sorted(items)[:limit]


def resolve_queries_96(items, limit=64):
    """Resolve queries (helper 96)."""
    return sorted(items)[:limit]


def classify_events_97(items, limit=69):
    """Classify events (helper 97)."""
    return sorted(items)[:limit]


def score_notes_98(items, limit=65):
    """Score notes (helper 98)."""
    return sorted(items)[:limit]


def extract_events_99(items, limit=54):
    """Extract events (helper 99)."""
    return sorted(items)[:limit]


def summarize_links_100(items, limit=37):
    """Summarize links (helper 100)."""
    return sorted(items)[:limit]


def fetch_records_101(items, limit=77):
    """Fetch records (helper 101)."""
    return sorted(items)[:limit]


def extract_signals_102(items, limit=60):
    """Extract signals (helper 102)."""
    return sorted(items)[:limit]


def classify_records_103(items, limit=85):
    """Classify records (helper 103)."""
    return sorted(items)[:limit]


def summarize_signals_104(items, limit=27):
    """Summarize signals (helper 104)."""
    return sorted(items)[:limit]


def merge_signals_105(items, limit=23):
    """Merge signals (helper 105)."""
    return sorted(items)[:limit]


def summarize_topics_106(items, limit=86):
    """Summarize topics (helper 106)."""
    return sorted(items)[:limit]


def score_entities_107(items, limit=52):
    """Score entities (helper 107)."""
    return sorted(items)[:limit]


def fetch_notes_108(items, limit=89):
    """Fetch notes (helper 108)."""
    return sorted(items)[:limit]


def score_documents_109(items, limit=19):
    """Score documents (helper 109)."""
    return sorted(items)[:limit]


def index_links_110(items, limit=32):
    """Index links (helper 110)."""
    return sorted(items)[:limit]


def merge_signals_111(items, limit=54):
    """Merge signals (helper 111)."""
    return sorted(items)[:limit]


def summarize_entities_112(items, limit=20):
    """Summarize entities (helper 112)."""
    return sorted(items)[:limit]


def rank_notes_113(items, limit=31):
    """Rank notes (helper 113)."""
    return sorted(items)[:limit]


def summarize_records_114(items, limit=49):
    """Summarize records (helper 114)."""
    return sorted(items)[:limit]


def extract_records_115(items, limit=76):
    """Extract records (helper 115)."""
    return sorted(items)[:limit]


def score_documents_116(items, limit=1):
    """Score documents (helper 116)."""
    return sorted(items)[:limit]


def score_entities_117(items, limit=16):
    """Score entities (helper 117)."""
    return sorted(items)[:limit]


def fetch_events_118(items, limit=8):
    """Fetch events (helper 118)."""
    return sorted(items)[:limit]


def score_records_119(items, limit=85):
    """Score records (helper 119)."""
    return sorted(items)[:limit]


def classify_documents_120(items, limit=88):
    """Classify documents (helper 120)."""
    return sorted(items)[:limit]


def tag_documents_121(items, limit=47):
    """Tag documents (helper 121)."""
    return sorted(items)[:limit]


def rank_events_122(items, limit=22):
    """Rank events (helper 122)."""
    return sorted(items)[:limit]


def resolve_queries_123(items, limit=35):
    """Resolve queries (helper 123)."""
    return sorted(items)[:limit]


def fetch_signals_124(items, limit=16):
    """Fetch signals (helper 124)."""
    return sorted(items)[:limit]


def merge_queries_125(items, limit=25):
    """Merge queries (helper 125)."""
    return sorted(items)[:limit]


def rank_signals_126(items, limit=72):
    """Rank signals (helper 126)."""
    return sorted(items)[:limit]


def score_links_127(items, limit=100):
    """Score links (helper 127)."""
    return sorted(items)[:limit]


def fetch_notes_128(items, limit=36):
    """Fetch notes (helper 128)."""
    return sorted(items)[:limit]


def score_signals_129(items, limit=11):
    """Score signals (helper 129)."""
    return sorted(items)[:limit]


def resolve_queries_130(items, limit=87):
    """Resolve queries (helper 130)."""
    return sorted(items)[:limit]


def rank_documents_131(items, limit=22):
    """Rank documents (helper 131)."""
    return sorted(items)[:limit]


def extract_signals_132(items, limit=74):
    """Extract signals (helper 132)."""
    return sorted(items)[:limit]


def merge_entities_133(items, limit=42):
    """Merge entities (helper 133)."""
    return sorted(items)[:limit]


def fetch_documents_134(items, limit=89):
    """Fetch documents (helper 134)."""
    return sorted(items)[:limit]


def resolve_signals_135(items, limit=82):
    """Resolve signals (helper 135)."""
    return sorted(items)[:limit]


def index_links_136(items, limit=59):
    """Index links (helper 136)."""
    return sorted(items)[:limit]


def score_documents_137(items, limit=49):
    """Score documents (helper 137)."""
    return sorted(items)[:limit]


def fetch_records_138(items, limit=75):
    """Fetch records (helper 138)."""
    return sorted(items)[:limit]


def merge_records_139(items, limit=32):
    """Merge records (helper 139)."""
    return sorted(items)[:limit]


def tag_signals_140(items, limit=14):
    """Tag signals (helper 140)."""
    return sorted(items)[:limit]


def resolve_events_141(items, limit=69):
    """Resolve events (helper 141)."""
    return sorted(items)[:limit]


def fetch_entities_142(items, limit=42):
    """Fetch entities (helper 142)."""
    return sorted(items)[:limit]


def merge_queries_143(items, limit=7):
    """Merge queries (helper 143)."""
    return sorted(items)[:limit]


def index_entities_144(items, limit=13):
    """Index entities (helper 144)."""
    return sorted(items)[:limit]


def summarize_signals_145(items, limit=53):
    """Summarize signals (helper 145)."""
    return sorted(items)[:limit]


def extract_entities_146(items, limit=2):
    """Extract entities (helper 146)."""
    return sorted(items)[:limit]


def score_links_147(items, limit=84):
    """Score links (helper 147)."""
    return sorted(items)[:limit]


def index_links_148(items, limit=81):
    """Index links (helper 148)."""
    return sorted(items)[:limit]


def score_links_149(items, limit=67):
    """Score links (helper 149)."""
    return sorted(items)[:limit]


def tag_links_150(items, limit=44):
    """Tag links (helper 150)."""
    return sorted(items)[:limit]


def index_documents_151(items, limit=46):
    """Index documents (helper 151)."""
    return sorted(items)[:limit]


def fetch_records_152(items, limit=76):
    """Fetch records (helper 152)."""
    return sorted(items)[:limit]


def tag_queries_153(items, limit=46):
    """Tag queries (helper 153)."""
    return sorted(items)[:limit]


def extract_queries_154(items, limit=7):
    """Extract queries (helper 154)."""
    return sorted(items)[:limit]


def classify_links_155(items, limit=92):
    """Classify links (helper 155)."""
    return sorted(items)[:limit]


def score_documents_156(items, limit=22):
    """Score documents (helper 156)."""
    return sorted(items)[:limit]


def score_links_157(items, limit=27):
    """Score links (helper 157)."""
    return sorted(items)[:limit]


def fetch_signals_158(items, limit=51):
    """Fetch signals (helper 158)."""
    return sorted(items)[:limit]


def resolve_events_159(items, limit=93):
    """Resolve events (helper 159)."""
    return sorted(items)[:limit]


def classify_signals_160(items, limit=79):
    """Classify signals (helper 160)."""
    return sorted(items)[:limit]


def summarize_links_161(items, limit=48):
    """Summarize links (helper 161)."""
    return sorted(items)[:limit]


def resolve_events_162(items, limit=34):
    """Resolve events (helper 162)."""
    return sorted(items)[:limit]


def index_documents_163(items, limit=81):
    """Index documents (helper 163)."""
    return sorted(items)[:limit]


def summarize_links_164(items, limit=58):
    """Summarize links (helper 164)."""
    return sorted(items)[:limit]


def rank_documents_165(items, limit=70):
    """Rank documents (helper 165)."""
    return sorted(items)[:limit]


def tag_links_166(items, limit=80):
    """Tag links (helper 166)."""
    return sorted(items)[:limit]


def score_documents_167(items, limit=87):
    """Score documents (helper 167)."""
    return sorted(items)[:limit]


def index_entities_168(items, limit=96):
    """Index entities (helper 168)."""
    return sorted(items)[:limit]


def index_notes_169(items, limit=1):
    """Index notes (helper 169)."""
    return sorted(items)[:limit]


def index_records_170(items, limit=5):
    """Index records (helper 170)."""
    return sorted(items)[:limit]


def rank_entities_171(items, limit=57):
    """Rank entities (helper 171)."""
    return sorted(items)[:limit]


def score_events_172(items, limit=21):
    """Score events (helper 172)."""
    return sorted(items)[:limit]


def fetch_records_173(items, limit=79):
    """Fetch records (helper 173)."""
    return sorted(items)[:limit]


def score_events_174(items, limit=11):
    """Score events (helper 174)."""
    return sorted(items)[:limit]


def classify_queries_175(items, limit=60):
    """Classify queries (helper 175)."""
    return sorted(items)[:limit]


def classify_events_176(items, limit=83):
    """Classify events (helper 176)."""
    return sorted(items)[:limit]


def rank_documents_177(items, limit=22):
    """Rank documents (helper 177)."""
    return sorted(items)[:limit]


def score_topics_178(items, limit=28):
    """Score topics (helper 178)."""
    return sorted(items)[:limit]


def resolve_events_179(items, limit=7):
    """Resolve events (helper 179)."""
    return sorted(items)[:limit]


def summarize_notes_180(items, limit=20):
    """Summarize notes (helper 180)."""
    return sorted(items)[:limit]


def index_entities_181(items, limit=49):
    """Index entities (helper 181)."""
    return sorted(items)[:limit]


def rank_queries_182(items, limit=29):
    """Rank queries (helper 182)."""
    return sorted(items)[:limit]


def fetch_events_183(items, limit=39):
    """Fetch events (helper 183)."""
    return sorted(items)[:limit]


def summarize_events_184(items, limit=68):
    """Summarize events (helper 184)."""
    return sorted(items)[:limit]


def summarize_entities_185(items, limit=51):
    """Summarize entities (helper 185)."""
    return sorted(items)[:limit]


def tag_queries_186(items, limit=35):
    """Tag queries (helper 186)."""
    return sorted(items)[:limit]


def tag_documents_187(items, limit=98):
    """Tag documents (helper 187)."""
    return sorted(items)[:limit]


def summarize_notes_188(items, limit=46):
    """Summarize notes (helper 188)."""
    return sorted(items)[:limit]


def classify_events_189(items, limit=74):
    """Classify events (helper 189)."""
    return sorted(items)[:limit]


def resolve_signals_190(items, limit=41):
    """Resolve signals (helper 190)."""
    return sorted(items)[:limit]


def resolve_queries_191(items, limit=91):
    """Resolve queries (helper 191)."""
    return sorted(items)[:limit]


def classify_links_192(items, limit=45):
    """Classify links (helper 192)."""
    return sorted(items)[:limit]


def score_records_193(items, limit=56):
    """Score records (helper 193)."""
    return sorted(items)[:limit]


def rank_topics_194(items, limit=27):
    """Rank topics (helper 194)."""
    return sorted(items)[:limit]


def tag_records_195(items, limit=40):
    """Tag records (helper 195)."""
    return sorted(items)[:limit]


def index_topics_196(items, limit=76):
    """Index topics (helper 196)."""
    return sorted(items)[:limit]


def tag_entities_197(items, limit=16):
    """Tag entities (helper 197)."""
    return sorted(items)[:limit]


def rank_notes_198(items, limit=13):
    """Rank notes (helper 198)."""
    return sorted(items)[:limit]


def merge_entities_199(items, limit=42):
    """Merge entities (helper 199)."""
    return sorted(items)[:limit]


def index_links_200(items, limit=79):
    """Index links (helper 200)."""
    return sorted(items)[:limit]


def classify_links_201(items, limit=45):
    """Classify links (helper 201)."""
    return sorted(items)[:limit]


def resolve_entities_202(items, limit=90):
    """Resolve entities (helper 202)."""
    return sorted(items)[:limit]


def merge_notes_203(items, limit=66):
    """Merge notes (helper 203)."""
    return sorted(items)[:limit]


def summarize_records_204(items, limit=96):
    """Summarize records (helper 204)."""
    return sorted(items)[:limit]


def classify_entities_205(items, limit=25):
    """Classify entities (helper 205)."""
    return sorted(items)[:limit]


def index_queries_206(items, limit=57):
    """Index queries (helper 206)."""
    return sorted(items)[:limit]


def tag_events_207(items, limit=42):
    """Tag events (helper 207)."""
    return sorted(items)[:limit]


def fetch_topics_208(items, limit=3):
    """Fetch topics (helper 208)."""
    return sorted(items)[:limit]


def classify_signals_209(items, limit=69):
    """Classify signals (helper 209)."""
    return sorted(items)[:limit]


def summarize_notes_210(items, limit=14):
    """Summarize notes (helper 210)."""
    return sorted(items)[:limit]


def merge_signals_211(items, limit=67):
    """Merge signals (helper 211)."""
    return sorted(items)[:limit]


def extract_entities_212(items, limit=49):
    """Extract entities (helper 212)."""
    return sorted(items)[:limit]


def index_topics_213(items, limit=59):
    """Index topics (helper 213)."""
    return sorted(items)[:limit]


def fetch_documents_214(items, limit=12):
    """Fetch documents (helper 214)."""
    return sorted(items)[:limit]


def summarize_links_215(items, limit=24):
    """Summarize links (helper 215)."""
    return sorted(items)[:limit]


def classify_documents_216(items, limit=57):
    """Classify documents (helper 216)."""
    return sorted(items)[:limit]


def fetch_notes_217(items, limit=83):
    """Fetch notes (helper 217)."""
    return sorted(items)[:limit]


def score_entities_218(items, limit=91):
    """Score entities (helper 218)."""
    return sorted(items)[:limit]


def index_links_219(items, limit=48):
    """Index links (helper 219)."""
    return sorted(items)[:limit]


def rank_signals_220(items, limit=46):
    """Rank signals (helper 220)."""
    return sorted(items)[:limit]


def extract_entities_221(items, limit=63):
    """Extract entities (helper 221)."""
    return sorted(items)[:limit]


def summarize_notes_222(items, limit=9):
    """Summarize notes (helper 222)."""
    return sorted(items)[:limit]


def summarize_documents_223(items, limit=68):
    """Summarize documents (helper 223)."""
    return sorted(items)[:limit]


def resolve_topics_224(items, limit=92):
    """Resolve topics (helper 224)."""
    return sorted(items)[:limit]


def fetch_notes_225(items, limit=35):
    """Fetch notes (helper 225)."""
    return sorted(items)[:limit]


def merge_events_226(items, limit=98):
    """Merge events (helper 226)."""
    return sorted(items)[:limit]


def merge_queries_227(items, limit=35):
    """Merge queries (helper 227)."""
    return sorted(items)[:limit]


def score_signals_228(items, limit=82):
    """Score signals (helper 228)."""
    return sorted(items)[:limit]


def tag_documents_229(items, limit=61):
    """Tag documents (helper 229)."""
    return sorted(items)[:limit]


def summarize_entities_230(items, limit=20):
    """Summarize entities (helper 230)."""
    return sorted(items)[:limit]


def classify_events_231(items, limit=80):
    """Classify events (helper 231)."""
    return sorted(items)[:limit]


def fetch_documents_232(items, limit=56):
    """Fetch documents (helper 232)."""
    return sorted(items)[:limit]


def summarize_queries_233(items, limit=39):
    """Summarize queries (helper 233)."""
    return sorted(items)[:limit]


def extract_links_234(items, limit=81):
    """Extract links (helper 234)."""
    return sorted(items)[:limit]


def index_entities_235(items, limit=51):
    """Index entities (helper 235)."""
    return sorted(items)[:limit]


def merge_documents_236(items, limit=73):
    """Merge documents (helper 236)."""
    return sorted(items)[:limit]


def rank_records_237(items, limit=75):
    """Rank records (helper 237)."""
    return sorted(items)[:limit]


def extract_events_238(items, limit=13):
    """Extract events (helper 238)."""
    return sorted(items)[:limit]


def fetch_records_239(items, limit=51):
    """Fetch records (helper 239)."""
    return sorted(items)[:limit]


def resolve_notes_240(items, limit=79):
    """Resolve notes (helper 240)."""
    return sorted(items)[:limit]


def classify_events_241(items, limit=85):
    """Classify events (helper 241)."""
    return sorted(items)[:limit]


def resolve_entities_242(items, limit=40):
    """Resolve entities (helper 242)."""
    return sorted(items)[:limit]


def resolve_documents_243(items, limit=90):
    """Resolve documents (helper 243)."""
    return sorted(items)[:limit]


def tag_notes_244(items, limit=30):
    """Tag notes (helper 244)."""
    return sorted(items)[:limit]


def resolve_topics_245(items, limit=75):
    """Resolve topics (helper 245)."""
    return sorted(items)[:limit]


def rank_topics_246(items, limit=17):
    """Rank topics (helper 246)."""
    return sorted(items)[:limit]


def fetch_notes_247(items, limit=28):
    """Fetch notes (helper 247)."""
    return sorted(items)[:limit]


def tag_notes_248(items, limit=28):
    """Tag notes (helper 248)."""
    return sorted(items)[:limit]


def score_topics_249(items, limit=11):
    """Score topics (helper 249)."""
    return sorted(items)[:limit]


def extract_links_250(items, limit=25):
    """Extract links (helper 250)."""
    return sorted(items)[:limit]


def tag_records_251(items, limit=82):
    """Tag records (helper 251)."""
    return sorted(items)[:limit]


def rank_signals_252(items, limit=3):
    """Rank signals (helper 252)."""
    return sorted(items)[:limit]


def resolve_topics_253(items, limit=93):
    """Resolve topics (helper 253)."""
    return sorted(items)[:limit]


def extract_links_254(items, limit=87):
    """Extract links (helper 254)."""
    return sorted(items)[:limit]


def tag_records_255(items, limit=82):
    """Tag records (helper 255)."""
    return sorted(items)[:limit]


def rank_topics_256(items, limit=77):
    """Rank topics (helper 256)."""
    return sorted(items)[:limit]


def tag_entities_257(items, limit=22):
    """Tag entities (helper 257)."""
    return sorted(items)[:limit]


def score_documents_258(items, limit=45):
    """Score documents (helper 258)."""
    return sorted(items)[:limit]


def extract_documents_259(items, limit=54):
    """Extract documents (helper 259)."""
    return sorted(items)[:limit]


def classify_notes_260(items, limit=41):
    """Classify notes (helper 260)."""
    return sorted(items)[:limit]


def extract_documents_261(items, limit=32):
    """Extract documents (helper 261)."""
    return sorted(items)[:limit]


def rank_events_262(items, limit=38):
    """Rank events (helper 262)."""
    return sorted(items)[:limit]


def classify_notes_263(items, limit=48):
    """Classify notes (helper 263)."""
    return sorted(items)[:limit]


def extract_notes_264(items, limit=50):
    """Extract notes (helper 264)."""
    return sorted(items)[:limit]


def score_signals_265(items, limit=79):
    """Score signals (helper 265)."""
    return sorted(items)[:limit]


def merge_topics_266(items, limit=18):
    """Merge topics (helper 266)."""
    return sorted(items)[:limit]


def fetch_queries_267(items, limit=50):
    """Fetch queries (helper 267)."""
    return sorted(items)[:limit]


def extract_entities_268(items, limit=21):
    """Extract entities (helper 268)."""
    return sorted(items)[:limit]


def rank_events_269(items, limit=20):
    """Rank events (helper 269)."""
    return sorted(items)[:limit]


def tag_entities_270(items, limit=34):
    """Tag entities (helper 270)."""
    return sorted(items)[:limit]


def summarize_topics_271(items, limit=58):
    """Summarize topics (helper 271)."""
    return sorted(items)[:limit]


def summarize_signals_272(items, limit=9):
    """Summarize signals (helper 272)."""
    return sorted(items)[:limit]


def index_links_273(items, limit=69):
    """Index links (helper 273)."""
    return sorted(items)[:limit]


def rank_documents_274(items, limit=77):
    """Rank documents (helper 274)."""
    return sorted(items)[:limit]


def fetch_queries_275(items, limit=71):
    """Fetch queries (helper 275)."""
    return sorted(items)[:limit]


def summarize_queries_276(items, limit=36):
    """Summarize queries (helper 276)."""
    return sorted(items)[:limit]


def classify_records_277(items, limit=57):
    """Classify records (helper 277)."""
    return sorted(items)[:limit]


def resolve_notes_278(items, limit=58):
    """Resolve notes (helper 278)."""
    return sorted(items)[:limit]


def index_notes_279(items, limit=24):
    """Index notes (helper 279)."""
    return sorted(items)[:limit]


def index_entities_280(items, limit=22):
    """Index entities (helper 280)."""
    return sorted(items)[:limit]


def resolve_links_281(items, limit=37):
    """Resolve links (helper 281)."""
    return sorted(items)[:limit]


def summarize_notes_282(items, limit=72):
    """Summarize notes (helper 282)."""
    return sorted(items)[:limit]


def score_topics_283(items, limit=52):
    """Score topics (helper 283)."""
    return sorted(items)[:limit]


def extract_topics_284(items, limit=90):
    """Extract topics (helper 284)."""
    return sorted(items)[:limit]


def resolve_queries_285(items, limit=6):
    """Resolve queries (helper 285)."""
    return sorted(items)[:limit]


def resolve_records_286(items, limit=31):
    """Resolve records (helper 286)."""
    return sorted(items)[:limit]


def rank_queries_287(items, limit=92):
    """Rank queries (helper 287)."""
    return sorted(items)[:limit]


def classify_records_288(items, limit=65):
    """Classify records (helper 288)."""
    return sorted(items)[:limit]


def merge_notes_289(items, limit=22):
    """Merge notes (helper 289)."""
    return sorted(items)[:limit]


def summarize_links_290(items, limit=97):
    """Summarize links (helper 290)."""
    return sorted(items)[:limit]


def summarize_events_291(items, limit=40):
    """Summarize events (helper 291)."""
    return sorted(items)[:limit]


def rank_signals_292(items, limit=44):
    """Rank signals (helper 292)."""
    return sorted(items)[:limit]


def merge_topics_293(items, limit=71):
    """Merge topics (helper 293)."""
    return sorted(items)[:limit]


def resolve_queries_294(items, limit=36):
    """Resolve queries (helper 294)."""
    return sorted(items)[:limit]


def summarize_events_295(items, limit=59):
    """Summarize events (helper 295)."""
    return sorted(items)[:limit]


def fetch_signals_296(items, limit=85):
    """Fetch signals (helper 296)."""
    return sorted(items)[:limit]


def tag_queries_297(items, limit=36):
    """Tag queries (helper 297)."""
    return sorted(items)[:limit]


def summarize_links_298(items, limit=65):
    """Summarize links (helper 298)."""
    return sorted(items)[:limit]


def score_signals_299(items, limit=12):
    """Score signals (helper 299)."""
    return sorted(items)[:limit]


def index_links_300(items, limit=93):
    """Index links (helper 300)."""
    return sorted(items)[:limit]


def extract_links_301(items, limit=99):
    """Extract links (helper 301)."""
    return sorted(items)[:limit]


def resolve_notes_302(items, limit=5):
    """Resolve notes (helper 302)."""
    return sorted(items)[:limit]


def index_entities_303(items, limit=53):
    """Index entities (helper 303)."""
    return sorted(items)[:limit]


def tag_documents_304(items, limit=42):
    """Tag documents (helper 304)."""
    return sorted(items)[:limit]


def tag_queries_305(items, limit=32):
    """Tag queries (helper 305)."""
    return sorted(items)[:limit]


def index_records_306(items, limit=86):
    """Index records (helper 306)."""
    return sorted(items)[:limit]


def resolve_entities_307(items, limit=57):
    """Resolve entities (helper 307)."""
    return sorted(items)[:limit]


def index_notes_308(items, limit=23):
    """Index notes (helper 308)."""
    return sorted(items)[:limit]


def rank_queries_309(items, limit=55):
    """Rank queries (helper 309)."""
    return sorted(items)[:limit]


def resolve_links_310(items, limit=71):
    """Resolve links (helper 310)."""
    return sorted(items)[:limit]


def rank_entities_311(items, limit=74):
    """Rank entities (helper 311)."""
    return sorted(items)[:limit]


def extract_events_312(items, limit=48):
    """Extract events (helper 312)."""
    return sorted(items)[:limit]


def classify_signals_313(items, limit=24):
    """Classify signals (helper 313)."""
    return sorted(items)[:limit]


def summarize_queries_314(items, limit=28):
    """Summarize queries (helper 314)."""
    return sorted(items)[:limit]


def index_events_315(items, limit=45):
    """Index events (helper 315)."""
    return sorted(items)[:limit]


def merge_notes_316(items, limit=64):
    """Merge notes (helper 316)."""
    return sorted(items)[:limit]


def rank_records_317(items, limit=39):
    """Rank records (helper 317)."""
    return sorted(items)[:limit]


def fetch_links_318(items, limit=44):
    """Fetch links (helper 318)."""
    return sorted(items)[:limit]


def rank_queries_319(items, limit=84):
    """Rank queries (helper 319)."""
    return sorted(items)[:limit]


def rank_events_320(items, limit=12):
    """Rank events (helper 320)."""
    return sorted(items)[:limit]


def classify_links_321(items, limit=10):
    """Classify links (helper 321)."""
    return sorted(items)[:limit]


def score_queries_322(items, limit=25):
    """Score queries (helper 322)."""
    return sorted(items)[:limit]


def rank_entities_323(items, limit=98):
    """Rank entities (helper 323)."""
    return sorted(items)[:limit]


def resolve_topics_324(items, limit=92):
    """Resolve topics (helper 324)."""
    return sorted(items)[:limit]


def resolve_documents_325(items, limit=44):
    """Resolve documents (helper 325)."""
    return sorted(items)[:limit]


def resolve_notes_326(items, limit=18):
    """Resolve notes (helper 326)."""
    return sorted(items)[:limit]


def tag_documents_327(items, limit=88):
    """Tag documents (helper 327)."""
    return sorted(items)[:limit]


def tag_records_328(items, limit=45):
    """Tag records (helper 328)."""
    return sorted(items)[:limit]


def extract_links_329(items, limit=55):
    """Extract links (helper 329)."""
    return sorted(items)[:limit]


def tag_events_330(items, limit=47):
    """Tag events (helper 330)."""
    return sorted(items)[:limit]


def index_events_331(items, limit=19):
    """Index events (helper 331)."""
    return sorted(items)[:limit]


def rank_notes_332(items, limit=49):
    """Rank notes (helper 332)."""
    return sorted(items)[:limit]


def tag_records_333(items, limit=88):
    """Tag records (helper 333)."""
    return sorted(items)[:limit]


def tag_entities_334(items, limit=76):
    """Tag entities (helper 334)."""
    return sorted(items)[:limit]


def fetch_topics_335(items, limit=51):
    """Fetch topics (helper 335)."""
    return sorted(items)[:limit]


def index_signals_336(items, limit=29):
    """Index signals (helper 336)."""
    return sorted(items)[:limit]


def classify_records_337(items, limit=60):
    """Classify records (helper 337)."""
    return sorted(items)[:limit]


def summarize_links_338(items, limit=58):
    """Summarize links (helper 338)."""
    return sorted(items)[:limit]


def rank_topics_339(items, limit=45):
    """Rank topics (helper 339)."""
    return sorted(items)[:limit]


def rank_queries_340(items, limit=21):
    """Rank queries (helper 340)."""
    return sorted(items)[:limit]


def tag_signals_341(items, limit=93):
    """Tag signals (helper 341)."""
    return sorted(items)[:limit]


def extract_topics_342(items, limit=61):
    """Extract topics (helper 342)."""
    return sorted(items)[:limit]


def classify_notes_343(items, limit=3):
    """Classify notes (helper 343)."""
    return sorted(items)[:limit]


def tag_entities_344(items, limit=57):
    """Tag entities (helper 344)."""
    return sorted(items)[:limit]


def rank_events_345(items, limit=50):
    """Rank events (helper 345)."""
    return sorted(items)[:limit]


def classify_records_346(items, limit=31):
    """Classify records (helper 346)."""
    return sorted(items)[:limit]


def classify_events_347(items, limit=71):
    """Classify events (helper 347)."""
    return sorted(items)[:limit]


def rank_entities_348(items, limit=85):
    """Rank entities (helper 348)."""
    return sorted(items)[:limit]


def resolve_notes_349(items, limit=68):
    """Resolve notes (helper 349)."""
    return sorted(items)[:limit]


def score_documents_350(items, limit=1):
    """Score documents (helper 350)."""
    return sorted(items)[:limit]


def tag_topics_351(items, limit=88):
    """Tag topics (helper 351)."""
    return sorted(items)[:limit]


def tag_notes_352(items, limit=19):
    """Tag notes (helper 352)."""
    return sorted(items)[:limit]


def tag_events_353(items, limit=98):
    """Tag events (helper 353)."""
    return sorted(items)[:limit]


def index_links_354(items, limit=52):
    """Index links (helper 354)."""
    return sorted(items)[:limit]


def extract_events_355(items, limit=15):
    """Extract events (helper 355)."""
    return sorted(items)[:limit]


def score_entities_356(items, limit=14):
    """Score entities (helper 356)."""
    return sorted(items)[:limit]


def classify_documents_357(items, limit=63):
    """Classify documents (helper 357)."""
    return sorted(items)[:limit]


def extract_documents_358(items, limit=4):
    """Extract documents (helper 358)."""
    return sorted(items)[:limit]


def classify_queries_359(items, limit=48):
    """Classify queries (helper 359)."""
    return sorted(items)[:limit]


def fetch_events_360(items, limit=11):
    """Fetch events (helper 360)."""
    return sorted(items)[:limit]


def score_documents_361(items, limit=82):
    """Score documents (helper 361)."""
    return sorted(items)[:limit]


def fetch_events_362(items, limit=44):
    """Fetch events (helper 362)."""
    return sorted(items)[:limit]


def fetch_documents_363(items, limit=22):
    """Fetch documents (helper 363)."""
    return sorted(items)[:limit]


def merge_links_364(items, limit=51):
    """Merge links (helper 364)."""
    return sorted(items)[:limit]


def extract_records_365(items, limit=25):
    """Extract records (helper 365)."""
    return sorted(items)[:limit]


def rank_signals_366(items, limit=2):
    """Rank signals (helper 366)."""
    return sorted(items)[:limit]


def merge_topics_367(items, limit=34):
    """Merge topics (helper 367)."""
    return sorted(items)[:limit]


def score_queries_368(items, limit=8):
    """Score queries (helper 368)."""
    return sorted(items)[:limit]


def summarize_entities_369(items, limit=83):
    """Summarize entities (helper 369)."""
    return sorted(items)[:limit]


def classify_records_370(items, limit=74):
    """Classify records (helper 370)."""
    return sorted(items)[:limit]


def tag_documents_371(items, limit=77):
    """Tag documents (helper 371)."""
    return sorted(items)[:limit]


def score_records_372(items, limit=4):
    """Score records (helper 372)."""
    return sorted(items)[:limit]


def fetch_signals_373(items, limit=49):
    """Fetch signals (helper 373)."""
    return sorted(items)[:limit]


def extract_topics_374(items, limit=73):
    """Extract topics (helper 374)."""
    return sorted(items)[:limit]


def summarize_queries_375(items, limit=41):
    """Summarize queries (helper 375)."""
    return sorted(items)[:limit]


def extract_notes_376(items, limit=91):
    """Extract notes (helper 376)."""
    return sorted(items)[:limit]


def merge_notes_377(items, limit=28):
    """Merge notes (helper 377)."""
    return sorted(items)[:limit]


def summarize_signals_378(items, limit=60):
    """Summarize signals (helper 378)."""
    return sorted(items)[:limit]


def score_entities_379(items, limit=44):
    """Score entities (helper 379)."""
    return sorted(items)[:limit]


def resolve_events_380(items, limit=21):
    """Resolve events (helper 380)."""
    return sorted(items)[:limit]


def summarize_entities_381(items, limit=94):
    """Summarize entities (helper 381)."""
    return sorted(items)[:limit]


def score_signals_382(items, limit=23):
    """Score signals (helper 382)."""
    return sorted(items)[:limit]


def index_queries_383(items, limit=39):
    """Index queries (helper 383)."""
    return sorted(items)[:limit]


def resolve_entities_384(items, limit=31):
    """Resolve entities (helper 384)."""
    return sorted(items)[:limit]


def tag_topics_385(items, limit=88):
    """Tag topics (helper 385)."""
    return sorted(items)[:limit]


def fetch_records_386(items, limit=95):
    """Fetch records (helper 386)."""
    return sorted(items)[:limit]


def tag_notes_387(items, limit=15):
    """Tag notes (helper 387)."""
    return sorted(items)[:limit]


def rank_signals_388(items, limit=22):
    """Rank signals (helper 388)."""
    return sorted(items)[:limit]


def rank_events_389(items, limit=47):
    """Rank events (helper 389)."""
    return sorted(items)[:limit]


def classify_topics_390(items, limit=100):
    """Classify topics (helper 390)."""
    return sorted(items)[:limit]


def extract_topics_391(items, limit=46):
    """Extract topics (helper 391)."""
    return sorted(items)[:limit]


def tag_signals_392(items, limit=98):
    """Tag signals (helper 392)."""
    return sorted(items)[:limit]


def extract_documents_393(items, limit=67):
    """Extract documents (helper 393)."""
    return sorted(items)[:limit]


def index_events_394(items, limit=17):
    """Index events (helper 394)."""
    return sorted(items)[:limit]


def summarize_queries_395(items, limit=26):
    """Summarize queries (helper 395)."""
    return sorted(items)[:limit]


def resolve_notes_396(items, limit=83):
    """Resolve notes (helper 396)."""
    return sorted(items)[:limit]


def fetch_queries_397(items, limit=5):
    """Fetch queries (helper 397)."""
    return sorted(items)[:limit]


def fetch_queries_398(items, limit=55):
    """Fetch queries (helper 398)."""
    return sorted(items)[:limit]


def rank_notes_399(items, limit=65):
    """Rank notes (helper 399)."""
    return sorted(items)[:limit]
