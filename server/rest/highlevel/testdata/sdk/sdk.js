// Drives @gohighlevel/api-client's social-planner calls, unchanged, against
// a Switchboard server: HL_BASE (the server), HL_TOKEN (an api key),
// HL_LOCATION, HL_USER (a user's ObjectId), HL_ACCOUNT (a Facebook
// account's ObjectId), HL_TAG and HL_CATEGORY. Prints one JSON line per
// call and exits non-zero on the first that fails.
const { HighLevel } = require('@gohighlevel/api-client');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

async function main() {
  const hl = new HighLevel({ privateIntegrationToken: env('HL_TOKEN') });
  hl.getHttpClient().defaults.baseURL = env('HL_BASE');
  const smp = hl.socialMediaPosting;
  const locationId = env('HL_LOCATION');
  const step = async (name, call) => {
    const res = await call();
    if (!res || res.success !== true) throw new Error(`${name}: ${JSON.stringify(res)}`);
    console.log(JSON.stringify({ step: name, statusCode: res.statusCode, results: res.results }));
    return res.results;
  };

  await step('getAccount', () => smp.getAccount({ locationId }));
  await step('getCategoriesLocationId', () => smp.getCategoriesLocationId({ locationId, limit: '10', skip: '0' }));
  await step('getCategoriesId', () => smp.getCategoriesId({ locationId, id: env('HL_CATEGORY') }));
  await step('getTagsLocationId', () => smp.getTagsLocationId({ locationId, searchText: '', limit: '10', skip: '0' }));
  await step('getTagsByIds', () => smp.getTagsByIds({ locationId }, { tagIds: [env('HL_TAG')] }));
  const body = {
    accountIds: [env('HL_ACCOUNT')], summary: 'From the SDK', type: 'post', status: 'scheduled',
    scheduleDate: '2030-01-02T03:04:05.000Z', userId: env('HL_USER'), tags: [env('HL_TAG')],
    categoryId: env('HL_CATEGORY'), media: [{ url: 'https://cdn.example.com/i.jpg', type: 'image/jpeg' }],
  };
  const created = await step('createPost', () => smp.createPost({ locationId }, body));
  const id = created.post._id;
  await step('getPost', () => smp.getPost({ locationId, id }));
  await step('editPost', () => smp.editPost({ locationId, id }, { ...body, summary: 'Edited by the SDK' }));
  await step('getPosts', () => smp.getPosts({ locationId }, {
    type: 'all', skip: '0', limit: '10', fromDate: '', toDate: '', includeUsers: 'true',
  }));
  await step('deletePost', () => smp.deletePost({ locationId, id }));
  const other = await step('createPost (draft)', () => smp.createPost({ locationId }, { accountIds: [], type: 'post', summary: 'draft' }));
  await step('bulkDeleteSocialPlannerPosts', () => smp.bulkDeleteSocialPlannerPosts({ locationId }, { postIds: [other.post._id] }));

  // CSV import: the file goes as multipart/form-data (uploadCsv takes the
  // body as given; the SDK's default JSON Content-Type is overridden with
  // the call's options, axios adding the boundary).
  const csv = 'postAtSpecificTime (yyyy-MM-dd HH:mm:ss),content,imageUrls\n' +
    '2030-01-02 09:00:00,From a CSV,https://cdn.example.com/c.jpg\n' +
    '2030-01-03 09:00:00,Another,https://cdn.example.com/d.jpg\n';
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'posts.csv');
  const up = await step('uploadCsv', () => smp.uploadCsv({ locationId }, form, { headers: { 'Content-Type': 'multipart/form-data' } }));
  const userId = env('HL_USER');
  await step('setAccounts', () => smp.setAccounts({ locationId }, {
    accountIds: [env('HL_ACCOUNT')], filePath: up.filePath, rowsCount: up.rowsCount, fileName: up.fileName, userId,
  }));
  const list = await step('getUploadStatus', () => smp.getUploadStatus({ locationId, userId, skip: '0', limit: '10', includeUsers: 'true' }));
  const csvId = list.csvs[0]._id;
  const detail = await step('getCsvPost', () => smp.getCsvPost({ locationId, id: csvId, skip: '0', limit: '10' }));
  await step('deleteCsvPost', () => smp.deleteCsvPost({ locationId, csvId, postId: detail.posts[1]._id }));
  await step('startCsvFinalize', () => smp.startCsvFinalize({ locationId, id: csvId }, { userId }));
  await step('deleteCsv', () => smp.deleteCsv({ locationId, id: csvId }));
}

main().catch((err) => {
  const data = err && err.response ? JSON.stringify(err.response.data) : '';
  console.error(`sdk check failed: ${err && err.message} ${data}`);
  process.exit(1);
});
