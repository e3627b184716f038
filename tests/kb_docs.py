"""A mini knowledge base the knowledge tests write: a shop's return policy (Markdown, zh + en), shipping
(DOCX), product specs (XLSX, two sheets) and opening hours (a two-page PDF written here by hand, since
no PDF writer with text is installed), plus files that must fail: corrupt, encrypted and empty."""

from __future__ import annotations

import io

POLICY_MD = """# Store policy

## 退货政策

签收后30天内可申请退货，商品需保留原包装和购物发票。定制刻字商品不支持退货。

## Return policy

Items can be returned within 30 days of delivery in their original packaging. Custom engraved items
cannot be returned.

## 退款 Refunds

退款在收到退货后5个工作日内原路返回。Refunds reach the original payment method within 5 business days.
"""

POLICY_MD_CHANGED = POLICY_MD.replace("签收后30天内", "签收后15天内").replace("within 30 days", "within 15 days")


def shipping_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("配送说明 Shipping", 1)
    d.add_heading("发货时间", 2)
    d.add_paragraph("下单后48小时内发货，使用顺丰快递。Orders leave our warehouse within 48 hours, sent by SF Express.")
    d.add_heading("运费", 2)
    d.add_paragraph("订单满199元包邮，不满199元收取运费10元。")
    d.add_paragraph("新疆、西藏等偏远地区每单另加运费15元。")
    return _docx_bytes(d)


def _docx_bytes(d) -> bytes:
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def specs_xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Specs"
    sheet.append(["型号 Model", "容量 Capacity", "重量 Weight", "保温 Keeps warm", "价格 Price"])
    sheet.append(["AirCup Mini 小号", "350 ml", "280 g", "8 小时", "¥129"])
    sheet.append(["AirCup Pro 大号", "600 ml", "450 g", "24 hours", "¥199"])
    parts = book.create_sheet("配件")
    parts.append(["配件 Part", "价格 Price"])
    parts.append(["备用杯盖 Spare lid", "¥19"])
    parts.append(["硅胶杯套 Silicone sleeve", "¥29"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HOURS_PAGES = [
    [
        "Opening hours",
        "Our store is open Monday to Friday from 9:00 to 21:00.",
        "On weekends we open from 10:00 to 18:00.",
        "We are closed for 7 days during the Spring Festival holiday.",
    ],
    [
        "Contact and warranty",
        "Customer service hotline: 400-800-1234. Live chat answers from 8:00 to 22:00 every day.",
        "Electronic parts carry a two-year warranty from the date of purchase.",
    ],
]


def pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF: one Helvetica text line per entry, each entry its own paragraph."""
    objects: list[bytes] = []
    kids = []
    font_id = 3
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # pages, filled below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for lines in pages:
        ops = ["BT /F1 11 Tf 14 TL 50 780 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T* T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
            b"/Contents %d 0 R >>" % (font_id, content_id)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf(HOURS_PAGES))).pages:
        writer.add_page(page)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def documents() -> dict[str, bytes]:
    """The mini knowledge base: file name → bytes."""
    return {
        "policy.md": POLICY_MD.encode(),
        "shipping.docx": shipping_docx(),
        "specs.xlsx": specs_xlsx(),
        "hours.pdf": pdf(HOURS_PAGES),
    }


def bad_documents() -> dict[str, bytes]:
    """Files that must each fail alone: corrupt, encrypted, empty, unsupported."""
    return {
        "broken.pdf": pdf(HOURS_PAGES)[:200],
        "locked.pdf": encrypted_pdf(),
        "empty.txt": b"   \n\n  ",
        "broken.docx": b"PK\x03\x04 not really a zip",
        "photo.exe": b"MZ\x90\x00",
    }


# (question, file that holds the answer, a text the right chunk contains)
QUESTIONS = [
    ("我买的东西不喜欢了，收到后多久以内还能退？", "policy.md", "30天"),
    ("Can I send back a cup that has my name engraved on it?", "policy.md", "engraved"),
    ("退回商品后钱多久能回到我的账户？", "policy.md", "5个工作日"),
    ("退货的时候需要把发票一起寄回吗", "policy.md", "发票"),
    ("How soon after I pay will my parcel be dispatched?", "shipping.docx", "48"),
    ("订单金额达到多少可以免邮费？", "shipping.docx", "199"),
    ("寄到西藏需要额外付邮费吗", "shipping.docx", "15元"),
    ("Which delivery company carries your parcels?", "shipping.docx", "SF Express"),
    ("How much does the Pro model weigh?", "specs.xlsx", "450 g"),
    ("小号的杯子能装多少毫升水", "specs.xlsx", "350 ml"),
    ("Pro 大号能保温多长时间", "specs.xlsx", "24 hours"),
    ("What does a replacement lid cost?", "specs.xlsx", "Spare lid"),
    ("What time do you open on Saturdays?", "hours.pdf", "weekends"),
    ("Is the shop open over Chinese New Year?", "hours.pdf", "Spring Festival"),
    ("客服热线电话号码是多少", "hours.pdf", "400-800-1234"),
    ("How long is the guarantee on the electronics?", "hours.pdf", "warranty"),
    ("What happens to my money after you receive the item I sent back?", "policy.md", "5 business days"),
    ("Do I have to keep the box the product came in if I might return it?", "policy.md", "original packaging"),
    ("刻了字的定制款可以退吗", "policy.md", "定制刻字"),
    ("东西寄出去一般要等几天才发货", "shipping.docx", "48小时"),
    ("我的订单只有150块，要付多少运费", "shipping.docx", "10元"),
    ("Do you charge extra postage for remote regions like Xinjiang?", "shipping.docx", "15元"),
    ("Which cup holds more than half a litre?", "specs.xlsx", "600 ml"),
    ("小号杯子卖多少钱", "specs.xlsx", "¥129"),
    ("How long does the small cup keep drinks hot?", "specs.xlsx", "8 小时"),
    ("有没有卖杯套，多少钱", "specs.xlsx", "硅胶杯套"),
    ("工作日你们几点关门", "hours.pdf", "21:00"),
    ("Until what time can I reach someone on the online chat?", "hours.pdf", "Live chat"),
    ("春节期间门店营业吗", "hours.pdf", "Spring Festival"),
    ("电子部件坏了保修几年", "hours.pdf", "warranty"),
]
